"""The organisation directory: the agency, its departments, positions, roles and users."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Group
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

short_code_validator = RegexValidator(
    r"^[A-ZĐ0-9]+$", _("Use capital letters and digits only, without spaces (e.g. TCKH).")
)
organ_id_validator = RegexValidator(
    r"^[A-Z0-9]{3}\.[A-Z0-9]{2}\.[A-Z0-9]{2}\.[A-Z][0-9]{2}$",
    _("An identifier code has 13 characters, e.g. 000.00.00.H49 (QCVN 102:2016)."),
)


class Agency(models.Model):
    """The agency that runs this installation (one per installation)."""

    name = models.CharField(_("name"), max_length=200)
    short_code = models.CharField(
        _("short code"),
        max_length=20,
        validators=[short_code_validator],
        help_text=_("Used in number/symbols, e.g. UBND in 45/QĐ-UBND."),
    )
    identifier_code = models.CharField(
        _("identifier code"),
        max_length=13,
        blank=True,
        validators=[organ_id_validator],
        help_text=_("Organisation identifier for inter-agency exchange, e.g. 000.00.00.H49."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    place_name = models.CharField(
        _("place name"),
        max_length=100,
        blank=True,
        help_text=_("Printed in the place-and-date line, e.g. Hoàn Kiếm."),
    )

    class OutgoingSeries(models.TextChoices):
        SINGLE = "single", _("One series for all administrative document types")
        PER_TYPE = "per_type", _("One series per document type")

    collective_name = models.CharField(
        _("collective body"),
        max_length=200,
        blank=True,
        help_text=_(
            "For an agency led collectively, the body its head signs for, e.g. ỦY BAN NHÂN "
            "DÂN (printed as “TM. ỦY BAN NHÂN DÂN”); empty for an agency led by one head."
        ),
    )
    head_position = models.ForeignKey(
        "Position",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("position of the agency's head"),
        help_text=_("E.g. Chủ tịch; deputies sign “KT.” for this position."),
    )
    outgoing_series = models.CharField(
        _("outgoing numbering"),
        max_length=10,
        choices=OutgoingSeries.choices,
        default=OutgoingSeries.SINGLE,
        help_text=_("Decided by the agency's head (Decree 30, Art. 15)."),
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A unit of the agency; departments form a tree."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="departments", verbose_name=_("agency")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent department"),
    )
    name = models.CharField(_("name"), max_length=200)
    short_code = models.CharField(_("short code"), max_length=20, validators=[short_code_validator])
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    # Grants to a whole department are guardian group permissions on this group.
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, editable=False, related_name="department"
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "short_code"], name="department_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        group_name = f"department:{self.agency_id}:{self.short_code}"
        if self.group_id is None:
            self.group = Group.objects.create(name=group_name)
        elif self.group.name != group_name:
            self.group.name = group_name
            self.group.save(update_fields=["name"])
        super().save(*args, **kwargs)


class Position(models.Model):
    """A job title such as Chủ tịch, Trưởng phòng or Chuyên viên."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    rank = models.PositiveSmallIntegerField(
        _("rank"),
        default=100,
        help_text=_("Lower ranks are listed first (Chủ tịch = 1)."),
    )

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["rank", "name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """What a user may do in the workflows; a user may hold several roles."""

    class Code(models.TextChoices):
        CLERK = "clerk", _("Clerk")
        LEADER = "leader", _("Leader")
        DEPARTMENT_HEAD = "department_head", _("Department head")
        SPECIALIST = "specialist", _("Specialist")
        ADMINISTRATOR = "administrator", _("Administrator")

    code = models.CharField(_("code"), max_length=30, choices=Code.choices, unique=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(self.Code(self.code).label)


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("department"),
    )
    position = models.ForeignKey(
        Position,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holders",
        verbose_name=_("position"),
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("roles"))
    email_notices = models.BooleanField(
        _("daily e-mail of unread notices"),
        default=False,
        help_text=_("Once a day, an e-mail listing the notices not yet read."),
    )

    REQUIRED_FIELDS = ["email", "full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    @property
    def role_codes(self) -> frozenset[str]:
        """The user's role codes, read once per user object."""
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("code", flat=True))
            self._role_codes = cached
        return cached

    def has_role(self, code: str) -> bool:
        return code in self.role_codes

    @property
    def is_clerk(self) -> bool:
        return self.has_role(Role.Code.CLERK)

    @property
    def is_leader(self) -> bool:
        return self.has_role(Role.Code.LEADER)

    @property
    def is_department_head(self) -> bool:
        return self.has_role(Role.Code.DEPARTMENT_HEAD)

    @property
    def title(self) -> str:
        """Name and position, as shown in the top bar and in the history."""
        if self.position is not None:
            return f"{self.get_full_name()} — {self.position.name}"
        return self.get_full_name()
