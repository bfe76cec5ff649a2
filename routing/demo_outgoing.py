"""The demo agency's outgoing documents: chain templates, absences, reserved numbers and
some seventy drafts and issued documents.

Each document lives a *story*: a generator that yields the moment of its next move and,
resumed at that moment (time-machine), makes the move through the real services. A
scheduler plays every story's moves in time order, between the arrivals of the incoming
documents (``routing.demo``), so that outgoing numbers follow the issue dates and the
arrival numbers of the copies delivered inside the agency follow their arrival.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.drafts import DraftData, RecipientLine, add_draft_version, create_draft
from documents.models import (
    Document,
    DocumentType,
    NumberReservation,
    OutgoingRecipient,
    Secrecy,
    Urgency,
)
from documents.outgoing_numbers import release_number, reserve_number
from documents.pdfgen import make_text_pdf
from documents.uploads import CheckedFile, check_upload
from eoffice.models import Department, Position, User
from routing import services
from routing.approval_models import (
    ApprovalStep,
    ApprovalTask,
    ChainTemplate,
    ChainTemplateHolder,
    ChainTemplateStep,
    Delegation,
    StepMode,
)
from routing.approvals import (
    abandon_draft,
    approve_step,
    forward_task,
    recall_draft,
    return_draft,
    set_absence,
    sign_off,
    submit_draft,
)
from routing.calendar import is_working_day
from routing.issuing import issue_outgoing, withdraw_issued
from routing.models import Assignment

if TYPE_CHECKING:
    from routing.demo import DemoPeople

Story = Generator[datetime, None, None]
S = Document.State
Group = OutgoingRecipient.Group

OPENS, CLOSES = time(7, 30), time(16, 45)

CONTENT, FORM, LEGAL, SIGNING = (
    "Kiểm tra nội dung",
    "Kiểm tra thể thức",
    "Thẩm định pháp lý",
    "Ký ban hành",
)

# Outside agencies a district sends to: (name, organisation identifier or "").
EXTERNAL = {
    "tinh": ("UBND tỉnh Sơn Hà", "000.00.00.H99"),
    "stc": ("Sở Tài chính tỉnh Sơn Hà", "000.00.12.H99"),
    "snv": ("Sở Nội vụ tỉnh Sơn Hà", "000.00.08.H99"),
    "stp": ("Sở Tư pháp tỉnh Sơn Hà", "000.00.15.H99"),
    "stnmt": ("Sở Tài nguyên và Môi trường tỉnh Sơn Hà", "000.00.17.H99"),
    "cat": ("Công an tỉnh Sơn Hà", "000.00.30.H99"),
    "hdnd": ("Thường trực HĐND huyện Sơn Hà", ""),
    "xa": ("UBND các xã, thị trấn", ""),
    "tanlap": ("UBND xã Tân Lập", "001.12.34.H99"),
    "thitran": ("UBND thị trấn Sơn Hà", "002.12.34.H99"),
    "kbnn": ("Kho bạc Nhà nước Sơn Hà", ""),
    "bqlda": ("Ban Quản lý dự án đầu tư xây dựng huyện", ""),
    "truong": ("Các trường mầm non, tiểu học, trung học cơ sở", ""),
}


@dataclass(frozen=True)
class Subject:
    type_code: str
    summary: str  # {year} and {month} are those of the day it is written
    department: str  # the drafting department
    execute: tuple[str, ...] = ()  # internal departments that must act on it
    external: tuple[str, ...] = ()  # keys of EXTERNAL
    urgency: int = Urgency.NORMAL


SUBJECTS = [
    Subject("CV", "V/v đôn đốc giải ngân kế hoạch vốn đầu tư công năm {year}", "TCKH",
            ("KTHT", "TNMT"), ("xa", "bqlda")),
    Subject("BC", "Báo cáo tình hình thực hiện dự toán ngân sách huyện đến hết tháng {month}",
            "TCKH", (), ("stc", "tinh")),
    Subject("QD", "Quyết định giao bổ sung dự toán chi ngân sách năm {year} cho các cơ quan, "
            "đơn vị", "TCKH", ("GDĐT", "VHTT", "LĐTBXH"), ("kbnn",)),
    Subject("KH", "Kế hoạch thực hành tiết kiệm, chống lãng phí năm {year}", "TCKH",
            ("TNMT", "KTHT", "GDĐT"), ("xa",)),
    Subject("KH", "Kế hoạch kiểm tra công tác cải cách hành chính năm {year}", "NV",
            ("VP", "TP", "TTR"), ("xa",)),
    Subject("QD", "Quyết định thành lập Tổ kiểm tra công vụ năm {year}", "NV",
            ("VP", "TP", "TTR")),
    Subject("CV", "V/v đánh giá, xếp loại chất lượng cán bộ, công chức năm {year}", "NV",
            ("VP", "TCKH", "TNMT"), ("xa",)),
    Subject("TB", "Thông báo kết quả xét tuyển viên chức giáo dục năm {year}", "NV",
            ("GDĐT",), ("snv",)),
    Subject("KH", "Kế hoạch tuyên truyền, phổ biến, giáo dục pháp luật 6 tháng cuối năm {year}",
            "TP", ("VHTT", "GDĐT", "LĐTBXH"), ("xa",)),
    Subject("QD", "Quyết định công bố danh mục thủ tục hành chính thuộc thẩm quyền giải quyết "
            "của UBND huyện", "TP", ("VP", "NV")),
    Subject("BC", "Báo cáo công tác theo dõi tình hình thi hành pháp luật năm {year}", "TP",
            (), ("stp",)),
    Subject("CV", "V/v tăng cường quản lý nhà nước về đất đai, khoáng sản", "TNMT",
            ("KTHT", "TTR"), ("xa",)),
    Subject("QD", "Quyết định thu hồi đất để thực hiện dự án mở rộng đường huyện ĐH.05",
            "TNMT", ("TCKH", "KTHT"), ("tanlap",)),
    Subject("GM", "Giấy mời dự Hội nghị triển khai công tác bảo vệ môi trường", "TNMT",
            ("KTHT", "VHTT"), ("xa",)),
    Subject("CV", "V/v chủ động phòng, chống thiên tai, tìm kiếm cứu nạn mùa mưa bão năm {year}",
            "KTHT", ("TNMT", "VP"), ("xa",), Urgency.URGENT),
    Subject("CD", "Công điện về việc chủ động ứng phó với bão và mưa lớn", "KTHT",
            ("TNMT", "VP", "GDĐT"), ("xa",), Urgency.IMMEDIATE),
    Subject("CV", "V/v xử lý công trình xây dựng sai phép trên địa bàn thị trấn Sơn Hà", "KTHT",
            ("TTR", "TNMT"), ("thitran",)),
    Subject("TTR", "Tờ trình đề nghị phê duyệt chủ trương đầu tư nâng cấp đường giao thông "
            "nông thôn", "KTHT", ("TCKH",), ("hdnd",)),
    Subject("CV", "V/v chuẩn bị các điều kiện tổ chức khai giảng năm học mới", "GDĐT",
            ("VHTT", "KTHT"), ("truong", "xa")),
    Subject("QD", "Quyết định khen thưởng học sinh đạt giải kỳ thi học sinh giỏi cấp tỉnh",
            "GDĐT", ("TCKH", "NV"), ("truong",)),
    Subject("KH", "Kế hoạch tổ chức các hoạt động chào mừng Ngày Quốc khánh 2/9", "VHTT",
            ("GDĐT", "LĐTBXH", "VP"), ("xa",)),
    Subject("CV", "V/v tăng cường kiểm tra hoạt động kinh doanh dịch vụ văn hóa dịp cuối năm",
            "VHTT", ("TTR",), ("xa",)),
    Subject("CV", "V/v chi trả trợ cấp ưu đãi đối với người có công với cách mạng", "LĐTBXH",
            ("TCKH",), ("xa",)),
    Subject("QD", "Quyết định hỗ trợ kinh phí cho hộ nghèo bị thiệt hại do thiên tai", "LĐTBXH",
            ("TCKH",), ("tanlap",)),
    Subject("CV", "V/v giải quyết đơn kiến nghị của công dân xã Tân Lập", "TTR", ("TNMT",),
            ("tanlap",)),
    Subject("QD", "Quyết định thanh tra việc quản lý, sử dụng ngân sách tại UBND xã Tân Lập",
            "TTR", ("TCKH",), ("tanlap",)),
    Subject("TB", "Thông báo kết luận của Chủ tịch UBND huyện tại cuộc họp giao ban tháng "
            "{month}", "VP", ("TCKH", "NV", "KTHT")),
    Subject("GM", "Giấy mời dự họp giao ban UBND huyện tháng {month}", "VP",
            ("TCKH", "NV", "TNMT", "KTHT")),
    Subject("CV", "V/v đẩy mạnh chuyển đổi số, sử dụng văn bản điện tử trong cơ quan nhà nước",
            "VP", ("NV", "TCKH", "VHTT"), ("xa",)),
]  # fmt: skip

# Which Phó Chủ tịch is in charge of a department's field.
DEPUTY_FOR = {"TCKH": 0, "TNMT": 0, "KTHT": 0, "GDĐT": 1, "VHTT": 1, "LĐTBXH": 1}

COMMENTS = {
    CONTENT: [
        "Đề nghị bổ sung số liệu thực hiện đến hết tháng trước và nêu rõ trách nhiệm, thời "
        "hạn của từng đơn vị.",
        "Nội dung còn dài, đề nghị viết gọn lại; phần giải pháp cần cụ thể hơn.",
        "Đề nghị rà soát căn cứ, cập nhật văn bản mới nhất của UBND tỉnh.",
    ],
    FORM: [
        "Đề nghị trình bày lại phần Nơi nhận theo Phụ lục I Nghị định 30/2020/NĐ-CP và viết "
        "trích yếu ngắn gọn hơn.",
        "Sai thể thức: thiếu địa danh và ngày tháng, căn lề chưa đúng quy định.",
    ],
    LEGAL: [
        "Đề nghị bổ sung căn cứ Luật Tổ chức chính quyền địa phương; Điều 3 ghi rõ cơ quan, "
        "đơn vị chịu trách nhiệm thi hành.",
    ],
    SIGNING: [
        "Đề nghị làm rõ nguồn kinh phí thực hiện trước khi trình ký.",
        "Đề nghị lấy thêm ý kiến Phòng Tài chính - Kế hoạch về kinh phí.",
    ],
}

# What the chairman's written authorisation lets the office chief sign.
TUQ_SCOPE = {"GM", "TB"}

WALKTHROUGH = [
    "Outgoing documents: cv1.tckh drafts and submits; tp.tckh checks the content;",
    "chanhvp checks the form; chutich signs (pct.kinhte signs what falls in his field);",
    "vanthu numbers and issues; the receiving department heads find the copy in their work.",
]


@dataclass
class Chains:
    general: ChainTemplate
    decision: ChainTemplate
    deputy: ChainTemplate


@dataclass
class Plan:
    """One outgoing document's story: who writes it, the chain, and where it stops."""

    start: datetime
    drafter: User
    subject: Subject
    template: ChainTemplate
    signer: User
    skip: tuple[int, ...] = ()
    # Where the story ends before the issue: "draft", "step:<label>" (waiting there),
    # "half:<label>" (one approver of a parallel step done), "revision", "signed".
    stop: str = ""
    pace: float = 1.0  # < 1: every move comes sooner
    must_finish: bool = False  # squeeze the moves in before "now" rather than drop them
    revise_at: str = ""  # the holder of this step returns the draft to the drafter once
    back_to_first: bool = False  # the signer sends it back to the first step once
    forward: tuple[str, User, str] | None = None  # (step, to whom, reason)
    recall: bool = False
    abandon: str = ""  # after a return, the drafter gives the draft up with this reason
    secrecy: int = Secrecy.NONE
    reply_to: Document | None = None
    paper: str = ""  # signed on paper at this event, with a number reserved ahead
    withdraw: str = ""  # withdrawn the day after the issue, for this reason
    inform: list[User] = field(default_factory=list)
    then: Callable[[Document, datetime], None] | None = None


class OutgoingDemo:
    def __init__(
        self, people: DemoPeople, *, days: int, seed: int, total: int, incoming: int
    ) -> None:
        self.rng = random.Random(seed + 1)  # noqa: S311 - reproducible demo data
        self.people = people
        self.days = days
        self.now = timezone.localtime()
        self.queue: list[tuple[datetime, int, Story, bool]] = []
        self.counter = itertools.count()
        self.working: dict[date, bool] = {}
        self.departments = {d.short_code: d for d in Department.objects.all()}
        self.types = {t.code: t for t in DocumentType.objects.all()}
        self.users = {u.username: u for u in User.objects.select_related("department")}
        self.chairman = self.users["chutich"]
        self.deputies = [self.users["pct.kinhte"], self.users["pct.vanhoa"]]
        self.office_chief = self.users["chanhvp"]
        self.chains = build_chains(self.chairman, self.office_chief)
        self.planned = 0
        self._plan_special()
        self.replies_left = max(0, min(10, (total - self.planned) // 3))
        # About a fifth of the incoming documents end up in a specialist's hands.
        self.reply_chance = min(1.0, 1.5 * self.replies_left / max(1, incoming / 5))
        self._plan_bulk(max(0, total - self.planned - self.replies_left))

    # --- the scheduler ----------------------------------------------------------------------

    def start(self, story: Story, *, must_finish: bool = False) -> None:
        moment = next(story, None)  # a story makes no move before its first moment
        if moment is None:
            return
        if moment >= self.now and must_finish:
            moment = self.latest_office_moment()
        self._push(moment, story, must_finish, None)

    def _push(
        self, moment: datetime, story: Story, must_finish: bool, after: datetime | None
    ) -> None:
        if moment >= self.now:
            if not must_finish or after is None:
                return  # the story goes on after "now": it stops where it is
            # Soon after the last move, in office hours if they are not over by now.
            moment = self.office(after + timedelta(minutes=self.rng.randint(10, 40)))
            if moment >= self.now:
                moment = after + timedelta(minutes=self.rng.randint(1, 5))
            if moment >= self.now:
                moment = after + (self.now - after) / 2
        heapq.heappush(self.queue, (moment, next(self.counter), story, must_finish))

    def run_until(self, limit: datetime) -> None:
        while self.queue and self.queue[0][0] < limit:
            moment, _order, story, must_finish = heapq.heappop(self.queue)
            with time_machine.travel(moment, tick=False):
                following = next(story, None)
            if following is not None:
                self._push(following, story, must_finish, moment)

    def finish(self) -> None:
        self.run_until(self.now)

    # --- time -------------------------------------------------------------------------------

    def _is_working(self, day: date) -> bool:
        if day not in self.working:
            self.working[day] = is_working_day(day)
        return self.working[day]

    def office(self, moment: datetime) -> datetime:
        """``moment``, or the next moment the office is open."""
        local = timezone.localtime(moment)
        opening = timedelta(minutes=self.rng.randint(0, 75))
        if local.time() < OPENS:
            local = local.replace(hour=7, minute=30) + opening
        elif local.time() > CLOSES:
            local = (local + timedelta(days=1)).replace(hour=7, minute=30) + opening
        while not self._is_working(local.date()):
            local = (local + timedelta(days=1)).replace(hour=7, minute=30) + opening
        return local

    def latest_office_moment(self) -> datetime:
        """A moment in office hours a little before now."""
        for back in range(1, 15):
            moment = self.office(self.now - timedelta(days=back))
            if moment < self.now - timedelta(hours=2):
                return moment
        return self.now - timedelta(hours=2)

    def later(self, moment: datetime, low: float, high: float, pace: float = 1.0) -> datetime:
        return self.office(moment + timedelta(hours=self.rng.uniform(low, high) * pace))

    def ago(self, fraction: float) -> datetime:
        """A moment ``fraction`` of the demo's period before now, in office hours."""
        return self.office(self.now - timedelta(days=self.days * fraction))

    # --- the people and the papers ----------------------------------------------------------

    def staff_of(self, code: str) -> list[User]:
        return self.people.staff[code]

    def signer_for(self, subject: Subject, deputy_share: float) -> tuple[User, ChainTemplate]:
        """The chairman under the general chain (the decision chain for a Quyết định), or
        the Phó Chủ tịch in charge of the field under the deputy chain for a công văn."""
        if subject.type_code == "QD":
            return self.chairman, self.chains.decision
        deputy = DEPUTY_FOR.get(subject.department)
        if deputy is not None and self.rng.random() < deputy_share:
            template = self.chains.deputy if subject.type_code == "CV" else self.chains.general
            return self.deputies[deputy], template
        return self.chairman, self.chains.general

    def plan(self, start: datetime, subject: Subject, **options: object) -> Plan:
        drafter = options.pop("drafter", None) or self.rng.choice(self.staff_of(subject.department))
        signer, template = self.signer_for(subject, 0.45)
        plan = Plan(start, drafter, subject, template, signer)  # type: ignore[arg-type]
        plan = replace(plan, **options)  # type: ignore[arg-type]
        if subject.type_code == "QD":
            plan.signer, plan.template = self.chairman, self.chains.decision
        if not plan.skip and subject.department == "VP":
            # The office chief checks his own office's drafts once, as its head.
            form = plan.template.steps.get(label=FORM).order
            plan.skip = (form,)
        if not plan.inform and self.rng.random() < 0.2:
            plan.inform = [self.chairman if plan.signer != self.chairman else self.deputies[0]]
        return plan

    def pdf(
        self, subject: Subject, summary: str, version: int, *, scan: bool = False
    ) -> CheckedFile:
        department = self.departments[subject.department]
        kind = "BAN GOC KY GIAY (SCAN)" if scan else f"DU THAO LAN {version}"
        content = make_text_pdf(
            [
                "Uy ban nhan dan huyen Son Ha",
                department.name,
                # Room for the number/symbol and the date that issuing fills in (issue 7).
                "",
                "",
                "",
                kind,
                summary,
                "",
                "Noi dung van ban (minh hoa cho demo).",
            ],
            title=summary,
        )
        name = "ban-ky-giay.pdf" if scan else f"du-thao-lan-{version}.pdf"
        return check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))

    def recipients(self, plan: Plan) -> list[RecipientLine]:
        subject = plan.subject
        lines = [
            RecipientLine(Group.EXECUTE, external_name=EXTERNAL[k][0], external_code=EXTERNAL[k][1])
            for k in subject.external
        ]
        if plan.reply_to is not None:
            lines.append(RecipientLine(Group.EXECUTE, external_name=plan.reply_to.sender_name))
        lines += [
            RecipientLine(Group.EXECUTE, department=self.departments[code])
            for code in subject.execute
            if code != subject.department
        ]
        lines += [RecipientLine(Group.INFORM, user=user) for user in plan.inform]
        lines.append(RecipientLine(Group.FILE, department=self.departments[subject.department]))
        return lines

    # --- the stories ------------------------------------------------------------------------

    def document_story(self, plan: Plan) -> Story:
        """Write the draft, take it along its chain, issue it and hand out the copies."""
        t = plan.start
        yield t
        people, drafter, pace = self.people, plan.drafter, plan.pace
        summary = plan.subject.summary.format(year=t.year, month=t.month)
        if plan.reply_to is not None:
            summary = reply_summary(plan.reply_to)
        data = DraftData(
            doc_type=self.types[plan.subject.type_code],
            summary=summary,
            urgency=plan.subject.urgency,
            secrecy=plan.secrecy,
            proposed_signer=plan.signer,
            in_reply_to=plan.reply_to,
            page_count=self.rng.randint(1, 6),
            recipients=self.recipients(plan),
        )
        document = create_draft(drafter, data, [self.pdf(plan.subject, summary, 1)])
        if plan.stop == "draft":
            return
        reservation: NumberReservation | None = None
        conference = t
        if plan.paper:
            # The signing day is set: the clerk holds a number back for the paper original.
            t = self.later(t, 1, 4)
            yield t
            conference = self.office(t + timedelta(days=4))
            reservation = reserve_number(
                people.clerks[0],
                document.doc_type,
                confidential=document.is_confidential,
                purpose=f"{summary} (ký bản giấy tại {plan.paper})",
            )

        def submit() -> None:
            submit_draft(
                drafter, document.pk, version=None, template=plan.template, skip_orders=plan.skip
            )

        def new_version(note: str) -> None:
            document.refresh_from_db()
            add_draft_version(
                drafter,
                document.pk,
                None,
                [self.pdf(plan.subject, summary, document.draft_version + 1)],
                note=note,
            )

        t = self.later(t, 0.5, 20, pace)
        yield t
        submit()
        if plan.recall:
            t = self.later(t, 0.3, 2, pace)
            yield t
            recall_draft(
                drafter,
                document.pk,
                version=None,
                reason="Rút lại để cập nhật số liệu mới nhất của Chi cục Thống kê.",
            )
            t = self.later(t, 2, 20, pace)
            yield t
            new_version("Cập nhật số liệu đến hết tháng.")
            t = self.later(t, 0.2, 2, pace)
            yield t
            submit()
        revised = sent_back = forwarded = waited = False
        while True:
            document.refresh_from_db()
            if document.state not in (S.IN_REVIEW, S.AWAITING_SIGNATURE):
                break
            step, tasks = pending(document)
            if (
                plan.stop == f"step:{step.label}"
                and step.tasks.filter(cycle=step.cycle, acted_at__isnull=False).count() == 0
            ):
                return
            holder = tasks[0].holder
            # A written authorisation (TUQ.) cannot be passed on.
            delegation = tasks[0].delegation
            can_forward = delegation is None or delegation.capacity != Delegation.Capacity.TUQ
            if step.is_signing and out_of_scope(document, delegation) and not waited:
                t = self.office(t + timedelta(minutes=self.rng.randint(10, 60)))
            else:
                t = self.later(t, 2, 24, pace) if step.is_signing else self.later(t, 1, 16, pace)
            if step.is_signing and plan.paper:
                t = max(t, conference)
            yield t
            if plan.revise_at == step.label and not revised:
                revised = True
                return_draft(
                    holder,
                    document.pk,
                    version=None,
                    comment=self.rng.choice(COMMENTS[step.label]),
                )
                if plan.stop == "revision":
                    return
                t = self.later(t, 3, 30, pace)
                yield t
                if plan.abandon:
                    abandon_draft(drafter, document.pk, version=None, reason=plan.abandon)
                    return
                new_version("Đã tiếp thu, chỉnh sửa theo ý kiến góp ý.")
                t = self.later(t, 0.3, 3, pace)
                yield t
                submit()
            elif step.is_signing and out_of_scope(document, delegation) and not waited:
                # The authorisation covers invitations and notices only: back a step, until
                # the chairman is in again.
                assert delegation is not None
                waited = True
                return_draft(
                    holder,
                    document.pk,
                    version=None,
                    comment="Văn bản không thuộc phạm vi được ủy quyền ký; trình lại Chủ tịch "
                    f"sau ngày {delegation.ends_on:%d/%m/%Y}.",
                    to_step_order=step.order - 1,
                )
                back = datetime.combine(delegation.ends_on + timedelta(days=1), OPENS)
                t = self.office(timezone.make_aware(back))
            elif step.is_signing and plan.back_to_first and not sent_back:
                sent_back = True
                return_draft(
                    holder,
                    document.pk,
                    version=None,
                    comment="Đề nghị Trưởng phòng rà soát lại số liệu tại phụ lục trước khi "
                    "trình ký.",
                    to_step_order=1,
                )
            elif plan.forward and plan.forward[0] == step.label and can_forward and not forwarded:
                forwarded = True
                forward_task(
                    holder, document.pk, version=None, to=plan.forward[1], reason=plan.forward[2]
                )
            elif step.is_signing:
                sign_off(
                    holder,
                    document.pk,
                    version=None,
                    comment=f"Đã ký bản giấy tại {plan.paper}." if plan.paper else "",
                )
                if plan.stop == "signed":
                    return
                t = self.later(t, 0.3, 6, pace)
                yield t
                yield from self.issue_and_after(plan, document, t, reservation)
                return
            else:
                approve_step(holder, document.pk, version=None)
                if plan.stop == f"half:{step.label}":
                    return

    def issue_and_after(
        self, plan: Plan, document: Document, t: datetime, reservation: NumberReservation | None
    ) -> Story:
        clerk = self.rng.choice(self.people.clerks)
        issued = issue_outgoing(
            clerk,
            document.pk,
            version=None,
            reservation_id=reservation.pk if reservation else None,
            final_files=[self.pdf(plan.subject, document.summary, 0, scan=True)]
            if plan.paper
            else None,
        )
        for copy in Document.objects.filter(source_document=issued).order_by("pk"):
            self.start(self.copy_story(copy, t))
        if plan.reply_to is not None:
            t = self.later(t, 0.5, 6)
            yield t
            services.complete_document(
                plan.drafter,
                plan.reply_to.pk,
                version=None,
                result=f"Đã ban hành văn bản trả lời số {issued.number_symbol}.",
                reply_number_symbol=issued.number_symbol,
            )
        if plan.withdraw:
            t = self.later(t, 16, 28)
            yield t
            withdraw_issued(clerk, issued.pk, version=None, reason=plan.withdraw)
        if plan.then is not None:
            plan.then(issued, t)

    def copy_story(self, copy: Document, issued_at: datetime) -> Story:
        """A copy delivered inside the agency is handled like any incoming document."""
        assignment = (
            Assignment.objects.filter(document=copy, parent__isnull=True)
            .select_related("assignee_user", "assignee_department")
            .get()
        )
        fate = self.rng.random()
        department = assignment.assignee_department
        head = self.people.heads[department.short_code] if department else None
        reader = assignment.assignee_user or head
        assert reader is not None
        if assignment.role == Assignment.Role.INFORM:
            if fate < 0.45:
                return
            yield self.later(issued_at, 0.2, 20)
            if still_open(copy):
                services.mark_read(reader, copy)
            return
        if fate < 0.2 or head is None or department is None:
            return  # not opened yet
        t = self.later(issued_at, 0.3, 8)
        yield t
        if not still_open(copy):
            return
        specialist = self.rng.choice(self.staff_of(department.short_code))
        services.pass_on(
            head,
            copy.pk,
            version=None,
            assignment_id=assignment.pk,
            specialist=specialist,
            note="Đề nghị đồng chí nghiên cứu, triển khai thực hiện.",
        )
        if fate < 0.45:
            return
        yield self.later(t, 16, 120)
        if still_open(copy):
            services.complete_document(
                specialist,
                copy.pk,
                version=None,
                result="Đã triển khai thực hiện; kết quả tổng hợp trong báo cáo định kỳ.",
            )

    # --- what the demo contains -------------------------------------------------------------

    def add(self, plan: Plan) -> None:
        self.planned += 1
        self.start(self.document_story(plan), must_finish=plan.must_finish)

    def subject(self, department: str, type_code: str | None = None) -> Subject:
        choices = [
            s
            for s in SUBJECTS
            if s.department == department and (type_code is None or s.type_code == type_code)
        ]
        return self.rng.choice(choices)

    def recent(self, low: float = 3, high: float = 9) -> datetime:
        return self.office(self.now - timedelta(days=self.rng.uniform(low, high)))

    def _plan_special(self) -> None:
        """The documents that show every state and every special case, always there."""
        u, chains = self.users, self.chains
        cv_tckh = u["cv1.tckh"]
        waiting = {"pace": 0.4, "must_finish": True}
        # Still with their drafters, or somewhere along the chain.
        for drafter, department in ((cv_tckh, "TCKH"), (u["cv2.nv"], "NV"), (u["cv1.vp"], "VP")):
            self.add(self.plan(self.recent(0.5, 3), self.subject(department), drafter=drafter,
                               stop="draft", **waiting))  # fmt: skip
        for drafter, department in ((cv_tckh, "TCKH"), (u["cv1.tnmt"], "TNMT"),
                                    (u["cv2.gddt"], "GDĐT")):  # fmt: skip
            self.add(self.plan(self.recent(), self.subject(department), drafter=drafter,
                               signer=self.chairman, template=chains.general,
                               stop=f"step:{CONTENT}", **waiting))  # fmt: skip
        for drafter, department in ((u["cv1.ktht"], "KTHT"), (u["pp.tp"], "TP")):
            self.add(self.plan(self.recent(), self.subject(department), drafter=drafter,
                               signer=self.chairman, template=chains.general,
                               stop=f"step:{FORM}", **waiting))  # fmt: skip
        decision = {"signer": self.chairman, "template": chains.decision}
        self.add(self.plan(self.recent(), self.subject("LĐTBXH", "QD"), stop=f"step:{LEGAL}",
                           **decision, **waiting))  # fmt: skip
        self.add(self.plan(self.recent(), self.subject("TTR", "QD"), stop=f"half:{LEGAL}",
                           **decision, **waiting))  # fmt: skip
        for drafter, department in ((cv_tckh, "TCKH"), (u["cv1.vhtt"], "VHTT"),
                                    (u["cv2.ttr"], "TTR")):  # fmt: skip
            self.add(self.plan(self.recent(), self.subject(department), drafter=drafter,
                               signer=self.chairman, template=chains.general,
                               stop=f"step:{SIGNING}", **waiting))  # fmt: skip
        self.add(self.plan(self.recent(), self.subject("TCKH", "CV"), drafter=u["cv2.tckh"],
                           signer=self.deputies[0], template=chains.deputy,
                           stop=f"step:{SIGNING}", **waiting))  # fmt: skip
        self.add(self.plan(self.recent(), self.subject("VHTT", "CV"), signer=self.deputies[1],
                           template=chains.deputy, recall=True, stop=f"step:{SIGNING}",
                           **waiting))  # fmt: skip
        # Returned for revision, the drafter still at work on it.
        self.add(self.plan(self.recent(), self.subject("TCKH"), drafter=cv_tckh,
                           revise_at=CONTENT, stop="revision", **waiting))  # fmt: skip
        self.add(self.plan(self.recent(), self.subject("NV", "CV"), signer=self.chairman,
                           template=chains.general, revise_at=FORM, stop="revision",
                           **waiting))  # fmt: skip
        # Signed off, in the clerk's queue.
        for department in ("KTHT", "GDĐT", "TNMT"):
            self.add(self.plan(self.recent(2, 5), self.subject(department), stop="signed",
                               pace=0.3, must_finish=True))  # fmt: skip
        # Issued, along the whole period, each with something worth seeing.
        done = {"must_finish": True}
        self.add(self.plan(self.ago(0.7), self.subject("TCKH", "QD"), revise_at=LEGAL, **done))
        self.add(self.plan(self.ago(0.6), self.subject("NV", "KH"), signer=self.chairman,
                           template=chains.general, revise_at=SIGNING, **done))  # fmt: skip
        self.add(self.plan(self.ago(0.45), self.subject("KTHT", "CV"), revise_at=CONTENT,
                           **done))  # fmt: skip
        self.add(self.plan(self.ago(0.4), self.subject("TNMT", "CV"), signer=self.chairman,
                           template=chains.general, back_to_first=True, **done))  # fmt: skip
        self.add(self.plan(self.ago(0.55), self.subject("GDĐT", "CV"), signer=self.chairman,
                           template=chains.general, forward=(FORM, u["pcvp"],
                           "Chuyển đồng chí Phó Chánh Văn phòng kiểm tra thể thức, trình bày."),
                           **done))  # fmt: skip
        self.add(self.plan(self.ago(0.38), self.subject("VHTT", "KH"), signer=self.chairman,
                           template=chains.general, forward=(SIGNING, self.deputies[1],
                           "Nội dung thuộc lĩnh vực đồng chí phụ trách, đề nghị đồng chí xem "
                           "xét, ký ban hành."), **done))  # fmt: skip
        self.add(self.plan(self.ago(0.65), self.subject("TTR", "CV"), secrecy=Secrecy.CONFIDENTIAL,
                           signer=self.chairman, template=chains.general, **done))  # fmt: skip
        self.add(self.plan(self.ago(0.35), self.subject("NV", "CV"), secrecy=Secrecy.CONFIDENTIAL,
                           signer=self.chairman, template=chains.general, **done))  # fmt: skip
        self.add(self.plan(self.ago(0.8), self.subject("KTHT", "CD"), signer=self.chairman,
                           template=chains.general, pace=0.15, **done))  # fmt: skip
        self.add(self.plan(self.ago(0.75), self.subject("TCKH", "CV"), signer=self.deputies[0],
                           template=chains.deputy, **done))  # fmt: skip
        self.add(self.plan(self.ago(0.5), self.subject("LĐTBXH", "CV"), signer=self.deputies[1],
                           template=chains.deputy, **done))  # fmt: skip
        # A draft given up after its head sent it back.
        self.add(self.plan(self.ago(0.5), self.subject("VHTT", "CV"), signer=self.chairman,
                           template=chains.general, revise_at=CONTENT,
                           abandon="Không ban hành: nội dung đã được nêu trong Kế hoạch của UBND "
                           "huyện.", **done))  # fmt: skip
        # Issued, then withdrawn the next day; a replacement follows.
        self.add(self.plan(self.ago(0.6), self.subject("TTR", "CV"), signer=self.chairman,
                           template=chains.general, withdraw="Văn bản ghi nhầm thời hạn báo "
                           "cáo; thu hồi để ban hành văn bản thay thế.",
                           then=self._replacement, **done))  # fmt: skip
        # Signed on paper at a conference, with the number the clerk reserved for it.
        self.add(self.plan(self.ago(0.28), self.subject("GDĐT", "QD"),
                           paper="Hội nghị tổng kết năm học", **done))  # fmt: skip
        self.start(self._released_number(self.ago(0.42)), must_finish=True)
        # The chairman away on a mission: the Phó Chủ tịch signs "KT. CHỦ TỊCH".
        self.start(self._mission(self.ago(0.52)), must_finish=True)
        # A written authorisation (TUQ.) to the office chief, itself an issued document.
        self.add(self.plan(self.ago(0.2), SUBJECT_GUQ, drafter=u["cv1.vp"],
                           signer=self.chairman, template=chains.general,
                           inform=[self.office_chief], then=self._authorised,
                           **done))  # fmt: skip

    def _plan_bulk(self, count: int) -> None:
        """Ordinary documents along the whole period; the latest are still on their way."""
        departments = [code for code in self.departments if code != "VP"] + ["VP"]
        for _ in range(count):
            start = self.office(self.now - timedelta(days=self.rng.uniform(2, self.days - 2)))
            subject = self.subject(self.rng.choice(departments))
            revise = self.rng.random()
            revise_at = CONTENT if revise < 0.12 else FORM if revise < 0.18 else ""
            self.add(self.plan(start, subject, revise_at=revise_at))

    def after_incoming(self, incoming: Document) -> None:
        """A specialist working on ``incoming`` drafts the reply to it."""
        if (
            self.replies_left <= 0
            or incoming.is_confidential
            or self.rng.random() > self.reply_chance
        ):
            return
        incoming.refresh_from_db(fields=["state"])
        if incoming.state != S.IN_PROGRESS:
            return
        work = (
            Assignment.objects.filter(
                document=incoming,
                role=Assignment.Role.LEAD,
                parent__isnull=False,
                assignee_user__isnull=False,
                state__in=Assignment.OPEN_STATES,
            )
            .select_related("assignee_user__department")
            .first()
        )
        if work is None or work.assignee_user is None:
            return
        drafter = work.assignee_user
        department = drafter.department
        start = self.later(work.assigned_at, 4, 40)
        if department is None or start > self.now - timedelta(days=1):
            return
        self.replies_left -= 1
        subject = Subject("CV", "", department.short_code)
        self.add(self.plan(start, subject, drafter=drafter, reply_to=incoming))

    def _replacement(self, withdrawn: Document, t: datetime) -> None:
        subject = replace(
            SUBJECTS[[s.department for s in SUBJECTS].index("TTR")],
            summary=f"{withdrawn.summary} (thay thế văn bản số {withdrawn.number_symbol})",
        )
        self.add(self.plan(self.later(t, 1, 6), subject, drafter=withdrawn.drafter,
                           signer=self.chairman, template=self.chains.general, pace=0.5,
                           must_finish=True))  # fmt: skip

    def _released_number(self, start: datetime) -> Story:
        yield start
        clerk = self.people.clerks[0]
        reservation = reserve_number(
            clerk,
            self.types["GM"],
            confidential=False,
            purpose="Giấy mời Hội nghị sơ kết công tác dân vận chính quyền (Chủ tịch ký bản giấy)",
        )
        yield self.later(start, 20, 50)
        release_number(
            clerk,
            reservation.pk,
            "Hội nghị lùi sang quý sau theo chỉ đạo của Chủ tịch UBND huyện; không dùng số đã giữ.",
        )

    def _mission(self, start: datetime) -> Story:
        """The chairman records his absence; a draft reaches him while he is away."""
        yield start
        first = self.office(start + timedelta(days=3)).replace(hour=7, minute=45)
        set_absence(
            self.chairman,
            deputy=self.deputies[0],
            starts_on=first.date(),
            ends_on=first.date() + timedelta(days=4),
            capacity=Delegation.Capacity.KT,
            reason="Đi công tác, học tập kinh nghiệm tại tỉnh bạn.",
        )
        self.add(self.plan(first, self.subject("TCKH", "KH"), signer=self.chairman,
                           template=self.chains.general, pace=0.15, must_finish=True))  # fmt: skip

    def _authorised(self, authorisation: Document, t: datetime) -> None:
        self.start(self._authorisation_story(authorisation, t), must_finish=True)

    def _authorisation_story(self, authorisation: Document, t: datetime) -> Story:
        t = self.later(t, 1, 4)
        yield t
        # One working day, from its morning.
        first = self.office(t + timedelta(days=2)).replace(hour=7, minute=45)
        set_absence(
            self.chairman,
            deputy=self.office_chief,
            starts_on=first.date(),
            ends_on=first.date(),
            capacity=Delegation.Capacity.TUQ,
            reference=authorisation.number_symbol,
            reason="Chủ tịch dự Hội nghị của UBND tỉnh; ủy quyền Chánh Văn phòng ký giấy mời, "
            "thông báo.",
            doc_types=list(DocumentType.objects.filter(code__in=TUQ_SCOPE)),
        )
        self.add(self.plan(first, self.subject("VP", "GM"), drafter=self.users["cv1.vp"],
                           signer=self.chairman, template=self.chains.general, pace=0.1,
                           must_finish=True))  # fmt: skip


SUBJECT_GUQ = Subject(
    "GUQ", "Giấy ủy quyền cho Chánh Văn phòng HĐND và UBND huyện ký văn bản", "VP", ("VP",)
)


def pending(document: Document) -> tuple[ApprovalStep, list[ApprovalTask]]:
    """The active step of ``document`` and its tasks waiting for someone."""
    step = ApprovalStep.objects.filter(document=document, state=ApprovalStep.State.ACTIVE).latest(
        "round", "order"
    )
    tasks = step.tasks.filter(cycle=step.cycle, state=ApprovalTask.State.PENDING)
    return step, list(tasks.select_related("holder", "delegation").order_by("pk"))


def out_of_scope(document: Document, delegation: Delegation | None) -> bool:
    """Whether a written authorisation (TUQ.) does not cover this kind of document."""
    if delegation is None or delegation.capacity != Delegation.Capacity.TUQ:
        return False
    return document.doc_type.code not in TUQ_SCOPE


def still_open(copy: Document) -> bool:
    copy.refresh_from_db(fields=["state"])
    return copy.state in (S.DIRECTED, S.IN_PROGRESS)


def reply_summary(incoming: Document) -> str:
    return (
        f"V/v trả lời {incoming.doc_type.name} số {incoming.number_symbol} "
        f"của {incoming.sender_name}"
    )


# A template step: label, mode, its holders' fields, its flags.
StepSpec = tuple[str, str, list[dict[str, Any]], dict[str, bool]]


def build_chains(chairman: User, office_chief: User) -> Chains:
    """The chain templates an administrator would set up in Quản trị."""
    position = {p.name: p for p in Position.objects.all()}
    legal = [Department.objects.get(short_code=code) for code in ("TP", "NV")]

    def template(name: str, doc_type: str | None, steps: list[StepSpec]) -> ChainTemplate:
        chain = ChainTemplate.objects.create(
            name=name,
            doc_type=DocumentType.objects.get(code=doc_type) if doc_type else None,
        )
        for order, (label, mode, holders, flags) in enumerate(steps, start=1):
            step = ChainTemplateStep.objects.create(
                template=chain, order=order, label=label, mode=mode, **flags
            )
            ChainTemplateHolder.objects.bulk_create(
                [ChainTemplateHolder(step=step, **holder) for holder in holders]
            )
        return chain

    # "Trưởng phòng of the drafter's department": the head's title differs per unit.
    content: StepSpec = (
        CONTENT,
        StepMode.SINGLE,
        [
            {"position": position[name]}
            for name in ("Trưởng phòng", "Chánh Thanh tra", "Chánh Văn phòng")
        ],
        {},
    )
    form: StepSpec = (FORM, StepMode.SINGLE, [{"user": office_chief}], {"is_optional": True})
    by_chairman: StepSpec = (
        SIGNING,
        StepMode.SINGLE,
        [{"user": chairman, "position": position["Chủ tịch"]}],
        {"is_signing": True},
    )
    by_deputy: StepSpec = (
        SIGNING,
        StepMode.SINGLE,
        [{"position": position["Phó Chủ tịch"]}],
        {"is_signing": True},
    )
    review: StepSpec = (
        LEGAL,
        StepMode.ALL,
        [{"position": position["Trưởng phòng"], "department": d} for d in legal],
        {},
    )
    return Chains(
        general=template("Quy trình chung (Chủ tịch ký)", None, [content, form, by_chairman]),
        decision=template("Quyết định", "QD", [content, review, form, by_chairman]),
        deputy=template(
            "Công văn của Phòng do Phó Chủ tịch phụ trách ký", "CV", [content, form, by_deputy]
        ),
    )
