"""The demo agency: a fictional district People's Committee with a few months of work.

Everything is created through the real services, at the simulated time each step would
have happened (time-machine), so the history, numbers and deadlines are what the system
itself would have produced.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import time_machine
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from documents.models import Document, DocumentType, Secrecy, Urgency
from documents.pdfgen import make_text_pdf
from documents.services import IncomingData, register_incoming
from documents.signing.demo import install_demo_keys
from documents.uploads import check_upload
from eoffice.models import Agency, Department, Position, Role, User
from realtime import messaging
from routing import services
from routing.calendar import add_working_days
from routing.demo_outgoing import OutgoingDemo
from routing.holidays import load_holidays
from routing.models import Assignment
from routing.services import Target

DEMO_PASSWORD = "eoffice-demo-2026"  # noqa: S105 - printed by make demo, on purpose

POSITIONS = [
    ("Chủ tịch", 1),
    ("Phó Chủ tịch", 2),
    ("Chánh Văn phòng", 3),
    ("Phó Chánh Văn phòng", 4),
    ("Chánh Thanh tra", 5),
    ("Trưởng phòng", 5),
    ("Phó Chánh Thanh tra", 6),
    ("Phó Trưởng phòng", 6),
    ("Chuyên viên", 8),
    ("Văn thư", 9),
    ("Quản trị hệ thống", 10),
]

DEPARTMENTS = [
    ("VP", "Văn phòng HĐND và UBND"),
    ("TCKH", "Phòng Tài chính - Kế hoạch"),
    ("NV", "Phòng Nội vụ"),
    ("TP", "Phòng Tư pháp"),
    ("TNMT", "Phòng Tài nguyên và Môi trường"),
    ("KTHT", "Phòng Kinh tế và Hạ tầng"),
    ("GDĐT", "Phòng Giáo dục và Đào tạo"),
    ("VHTT", "Phòng Văn hóa, Khoa học và Thông tin"),
    ("LĐTBXH", "Phòng Lao động - Thương binh và Xã hội"),
    ("TTR", "Thanh tra huyện"),
]
DEPARTMENT_LOGIN = {
    "VP": "vp",
    "TCKH": "tckh",
    "NV": "nv",
    "TP": "tp",
    "TNMT": "tnmt",
    "KTHT": "ktht",
    "GDĐT": "gddt",
    "VHTT": "vhtt",
    "LĐTBXH": "ldtbxh",
    "TTR": "ttr",
}

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Phan",
    "Trịnh",
]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Thanh", "Hữu", "Ngọc", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hằng",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Huyền",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Tuấn",
    "Vân",
    "Yến",
]

SENDERS = [
    ("UBND tỉnh Sơn Hà", "UBND-VP"),
    ("Văn phòng UBND tỉnh", "VP-TH"),
    ("Sở Tài chính", "STC-QLNS"),
    ("Sở Nội vụ", "SNV-TCBC"),
    ("Sở Tài nguyên và Môi trường", "STNMT-ĐĐ"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT-GDTrH"),
    ("Sở Y tế", "SYT-NVY"),
    ("Sở Xây dựng", "SXD-QLXD"),
    ("Sở Kế hoạch và Đầu tư", "SKHĐT-TH"),
    ("Sở Lao động - Thương binh và Xã hội", "SLĐTBXH-BTXH"),
    ("Công an tỉnh", "CAT-PV01"),
    ("Kho bạc Nhà nước Sơn Hà", "KBNN-KSC"),
    ("Chi cục Thuế khu vực Sơn Hà", "CCT-NVDT"),
    ("Huyện ủy Sơn Hà", "HU-VP"),
    ("HĐND huyện Sơn Hà", "HĐND-VP"),
    ("UBND xã Tân Lập", "UBND-ĐC"),
    ("UBND thị trấn Sơn Hà", "UBND-VP"),
    ("Bảo hiểm xã hội huyện", "BHXH-QLT"),
    ("Sở Tư pháp", "STP-HCTP"),
    ("Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL-QLVH"),
]

# (type code, summary, department codes likely to lead)
SUBJECTS = [
    ("CV", "V/v triển khai kế hoạch cải cách hành chính năm {year}", ["NV"]),
    ("CV", "V/v báo cáo tình hình thực hiện dự toán ngân sách 9 tháng", ["TCKH"]),
    ("CV", "V/v rà soát, cập nhật hồ sơ địa chính các xã, thị trấn", ["TNMT"]),
    ("CV", "V/v tăng cường công tác phòng, chống thiên tai mùa mưa bão", ["KTHT", "VP"]),
    ("CV", "V/v đôn đốc giải ngân vốn đầu tư công", ["TCKH"]),
    ("CV", "V/v chuẩn bị cơ sở vật chất cho năm học mới", ["GDĐT"]),
    ("CV", "V/v góp ý dự thảo Quy chế làm việc của UBND tỉnh", ["NV", "TP"]),
    ("CV", "V/v kiểm tra an toàn thực phẩm dịp Tết Trung thu", ["VHTT"]),
    ("CV", "V/v thực hiện chính sách trợ giúp xã hội đối với người cao tuổi", ["LĐTBXH"]),
    ("CV", "V/v cung cấp thông tin phục vụ công tác thanh tra", ["TTR"]),
    ("CV", "V/v đẩy mạnh chuyển đổi số trong cơ quan nhà nước", ["VP", "NV"]),
    ("CV", "V/v xử lý vi phạm trật tự xây dựng trên địa bàn", ["KTHT"]),
    ("QD", "Quyết định giao chỉ tiêu kế hoạch phát triển kinh tế - xã hội năm {year}", ["TCKH"]),
    ("QD", "Quyết định phê duyệt danh mục thủ tục hành chính được chuẩn hóa", ["TP", "VP"]),
    ("QD", "Quyết định thành lập Đoàn kiểm tra công tác quản lý đất đai", ["TNMT", "TTR"]),
    ("QD", "Quyết định phân bổ kinh phí hỗ trợ hộ nghèo", ["LĐTBXH", "TCKH"]),
    ("KH", "Kế hoạch tuyên truyền phổ biến, giáo dục pháp luật năm {year}", ["TP"]),
    ("KH", "Kế hoạch kiểm tra công tác cải cách hành chính", ["NV"]),
    ("KH", "Kế hoạch tổ chức Ngày hội Đại đoàn kết toàn dân tộc", ["VHTT"]),
    ("KH", "Kế hoạch phòng, chống dịch bệnh truyền nhiễm", ["VHTT", "LĐTBXH"]),
    ("TB", "Thông báo kết luận của Chủ tịch UBND tỉnh tại buổi làm việc", ["VP"]),
    ("TB", "Thông báo lịch tiếp công dân định kỳ", ["TTR"]),
    ("TB", "Thông báo tuyển dụng công chức cấp xã", ["NV"]),
    ("GM", "Giấy mời dự hội nghị sơ kết công tác quản lý tài nguyên", ["TNMT"]),
    ("GM", "Giấy mời dự tập huấn nghiệp vụ văn thư, lưu trữ", ["VP", "NV"]),
    ("GM", "Giấy mời họp bàn phương án giải phóng mặt bằng", ["KTHT", "TNMT"]),
    ("BC", "Báo cáo kết quả thực hiện Đề án 06 về dữ liệu dân cư", ["VP"]),
    ("BC", "Báo cáo tình hình kinh tế - xã hội tháng", ["TCKH"]),
    ("CT", "Chỉ thị về tăng cường kỷ luật, kỷ cương hành chính", ["NV"]),
    ("HD", "Hướng dẫn đánh giá, xếp loại chất lượng cán bộ, công chức", ["NV"]),
    ("HD", "Hướng dẫn quyết toán ngân sách địa phương", ["TCKH"]),
    ("TTR", "Tờ trình đề nghị phê duyệt chủ trương đầu tư trường mầm non", ["GDĐT", "TCKH"]),
    ("CD", "Công điện về việc chủ động ứng phó với áp thấp nhiệt đới", ["KTHT", "VP"]),
    ("NQ", "Nghị quyết về dự toán thu, chi ngân sách huyện", ["TCKH"]),
    ("CTR", "Chương trình công tác trọng tâm quý IV", ["VP"]),
    ("PA", "Phương án bảo đảm an ninh trật tự dịp cuối năm", ["VP", "TTR"]),
]


@dataclass
class DemoPeople:
    clerks: list[User]
    leaders: list[User]
    heads: dict[str, User]
    staff: dict[str, list[User]]


def demo_logins() -> list[tuple[str, str, str]]:
    """(login, name, position and department) of the people worth trying."""
    rows = []
    for user in (
        User.objects.filter(
            username__in=[
                "vanthu",
                "chutich",
                "pct.kinhte",
                "pct.vanhoa",
                "chanhvp",
                "tp.tckh",
                "cv1.tckh",
                "pp.tckh",
                "tp.nv",
                "cv1.nv",
                "admin",
            ]
        )
        .select_related("position", "department")
        .order_by("position__rank", "username")
    ):
        where = f" — {user.department.name}" if user.department else ""
        rows.append((user.username, user.full_name, f"{user.position or ''}{where}"))
    return rows


class DemoBuilder:
    def __init__(self, *, documents: int = 300, days: int = 150, seed: int = 2026) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.document_count = documents
        self.days = days
        self.used_names: set[str] = set()
        self.last_document: Document | None = None
        # One hash for everyone: hashing is deliberately slow, and the demo has 45 people.
        self.password_hash = make_password(DEMO_PASSWORD)

    # --- directory --------------------------------------------------------------------------

    def _name(self, middle: str | None = None) -> str:
        while True:
            name = (
                f"{self.rng.choice(FAMILY)} {middle or self.rng.choice(MIDDLE)} "
                f"{self.rng.choice(GIVEN)}"
            )
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def _user(
        self,
        username: str,
        full_name: str,
        position: str,
        department: Department | None,
        *roles: str,
        **extra: bool,
    ) -> User:
        user = User(
            username=username,
            full_name=full_name,
            email=f"{username}@sonha.example.gov.vn",
            position=Position.objects.get(name=position),
            department=department,
            **extra,
        )
        user.password = self.password_hash
        user.save()
        user.roles.set(Role.objects.filter(code__in=roles))
        return user

    def build_directory(self) -> DemoPeople:
        for name, rank in POSITIONS:
            Position.objects.get_or_create(name=name, defaults={"rank": rank})
        agency = Agency.objects.create(
            name="Ủy ban nhân dân huyện Sơn Hà",
            short_code="UBND",
            identifier_code="000.12.34.H99",
            place_name="Sơn Hà",
            address="Số 1 đường Trần Hưng Đạo, thị trấn Sơn Hà",
            # The Chủ tịch signs "TM. ỦY BAN NHÂN DÂN", the Phó Chủ tịch "KT. CHỦ TỊCH".
            collective_name="Ủy ban nhân dân",
            head_position=Position.objects.get(name="Chủ tịch"),
            outgoing_series=Agency.OutgoingSeries.SINGLE,
        )
        departments = {
            code: Department.objects.create(
                agency=agency, short_code=code, name=name, sort_order=order
            )
            for order, (code, name) in enumerate(DEPARTMENTS, start=1)
        }
        leaders = [
            self._user("chutich", self._name(), "Chủ tịch", None, "leader"),
            self._user("pct.kinhte", self._name(), "Phó Chủ tịch", None, "leader"),
            self._user("pct.vanhoa", self._name(), "Phó Chủ tịch", None, "leader"),
        ]
        vp = departments["VP"]
        chanhvp = self._user(
            "chanhvp", self._name(), "Chánh Văn phòng", vp, "leader", "department_head"
        )
        leaders.append(chanhvp)
        clerks = [
            self._user("vanthu", self._name("Thị"), "Văn thư", vp, "clerk"),
            self._user("vanthu2", self._name(), "Văn thư", vp, "clerk"),
        ]
        heads = {"VP": chanhvp}
        staff = {
            "VP": [
                self._user("pcvp", self._name(), "Phó Chánh Văn phòng", vp, "specialist"),
                self._user("cv1.vp", self._name(), "Chuyên viên", vp, "specialist"),
            ]
        }
        for code, department in departments.items():
            if code == "VP":
                continue
            login = DEPARTMENT_LOGIN[code]
            head_title, deputy_title = (
                ("Chánh Thanh tra", "Phó Chánh Thanh tra")
                if code == "TTR"
                else ("Trưởng phòng", "Phó Trưởng phòng")
            )
            heads[code] = self._user(
                f"tp.{login}", self._name(), head_title, department, "department_head"
            )
            staff[code] = [
                self._user(f"pp.{login}", self._name(), deputy_title, department, "specialist"),
                self._user(f"cv1.{login}", self._name(), "Chuyên viên", department, "specialist"),
                self._user(f"cv2.{login}", self._name(), "Chuyên viên", department, "specialist"),
            ]
        self._user(
            "admin",
            self._name(),
            "Quản trị hệ thống",
            vp,
            "administrator",
            is_staff=True,
            is_superuser=True,
        )
        return DemoPeople(clerks, leaders, heads, staff)

    # --- documents --------------------------------------------------------------------------

    def _at(self, moment: datetime) -> time_machine.travel:
        return time_machine.travel(moment, tick=False)

    def _pdf(self, number_symbol: str, sender: str, summary: str) -> SimpleUploadedFile:
        content = make_text_pdf(
            [
                sender,
                f"So: {number_symbol}",
                summary,
                "",
                "Noi dung van ban (ban scan minh hoa cho demo).",
            ]
        )
        name = f"{number_symbol.replace('/', '-')}.pdf"
        return SimpleUploadedFile(name, content, content_type="application/octet-stream")

    def _working_moment(self, moment: datetime, hours: float) -> datetime:
        """``hours`` later, moved into office hours on a weekday."""
        result = moment + timedelta(hours=hours)
        while result.weekday() >= 5:
            result += timedelta(days=1)
        if result.hour < 7 or result.hour >= 17:
            result = result.replace(hour=7 + self.rng.randint(0, 3), minute=self.rng.randint(0, 59))
            if moment.hour >= 17:
                result += timedelta(days=1)
        return result

    def build_conversations(self, people: DemoPeople) -> None:
        _build_conversations(self, people)

    def build_documents(self, people: DemoPeople, outgoing: OutgoingDemo | None = None) -> None:
        """The incoming documents, in order of arrival; ``outgoing`` plays the outgoing
        documents' moves in between, so that every register number follows time."""
        now = timezone.localtime()
        types = {t.code: t for t in DocumentType.objects.all()}
        arrivals = sorted(
            self._working_moment(
                timezone.make_aware(
                    datetime.combine(
                        now.date() - timedelta(days=self.rng.randint(0, self.days)),
                        time(hour=self.rng.randint(7, 16), minute=self.rng.randint(0, 59)),
                    )
                ),
                0,
            )
            for _ in range(self.document_count)
        )
        counters: dict[str, int] = {}
        for received_at in arrivals:
            if received_at > now:
                received_at = now - timedelta(minutes=self.rng.randint(5, 120))
            if outgoing is not None:
                outgoing.run_until(received_at)
            self._one_document(people, types, counters, received_at, now)
            if outgoing is not None and self.last_document is not None:
                outgoing.after_incoming(self.last_document)

    def _one_document(
        self,
        people: DemoPeople,
        types: dict[str, DocumentType],
        counters: dict[str, int],
        received_at: datetime,
        now: datetime,
    ) -> None:
        rng = self.rng
        type_code, template, lead_codes = rng.choice(SUBJECTS)
        sender, unit = rng.choice(SENDERS)
        counters[sender] = counters.get(sender, rng.randint(100, 3000)) + rng.randint(1, 40)
        doc_type = types[type_code]
        symbol = f"{doc_type.abbreviation}-{unit.split('-')[0]}" if doc_type.abbreviation else unit
        number_symbol = f"{counters[sender]:02d}/{symbol}"
        summary = template.format(year=received_at.year)
        urgency = rng.choices(
            [Urgency.NORMAL, Urgency.URGENT, Urgency.VERY_URGENT, Urgency.IMMEDIATE], [80, 12, 5, 3]
        )[0]
        secrecy = Secrecy.CONFIDENTIAL if rng.random() < 0.05 else Secrecy.NONE
        clerk = rng.choice(people.clerks)
        issued_on = received_at.date() - timedelta(days=rng.randint(0, 4))
        with self._at(received_at):
            upload = self._pdf(number_symbol, sender, summary)
            document = register_incoming(
                clerk,
                IncomingData(
                    sender_name=sender,
                    number_symbol=number_symbol,
                    issued_on=issued_on,
                    doc_type=doc_type,
                    summary=summary,
                    received_at=received_at,
                    signer_name=f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                    urgency=urgency,
                    secrecy=secrecy,
                    page_count=rng.randint(1, 12),
                    receipt_method=rng.choice(
                        [Document.ReceiptMethod.PAPER, Document.ReceiptMethod.ELECTRONIC]
                    ),
                ),
                [check_upload(upload)],
            )
        self.last_document = document
        fate = rng.random()
        if fate < 0.06:
            return  # waits for the clerk
        if fate < 0.08:
            moment = self._working_moment(received_at, 1)
            if moment < now:
                with self._at(moment):
                    services.cancel_registration(
                        clerk,
                        document.pk,
                        version=None,
                        reason="Văn bản gửi nhầm địa chỉ, đã báo lại cơ quan gửi.",
                    )
            return
        leader = rng.choice(people.leaders)
        moment = self._working_moment(received_at, rng.uniform(0.5, 3))
        if moment >= now:
            return
        with self._at(moment):
            services.submit_to_leader(clerk, document.pk, version=None, leader=leader)
        if fate < 0.13:
            return  # waits for the leader
        moment = self._working_moment(moment, rng.uniform(2, 30))
        if moment >= now:
            return
        if fate < 0.15:
            with self._at(moment):
                services.return_to_clerk(
                    leader,
                    document.pk,
                    version=None,
                    reason="Đề nghị Văn thư bổ sung phụ lục kèm theo.",
                )
            return
        lead_code = rng.choice(lead_codes)
        others = [code for code, _name in DEPARTMENTS if code != lead_code]
        coordinators = rng.sample(others, k=rng.choice([0, 0, 1, 2]))
        departments = {d.short_code: d for d in Department.objects.all()}
        with self._at(moment):
            days = rng.choice([3, 5, 7, 10, 15])
            deadline = add_working_days(timezone.localdate(), days)
            helpers = ", ".join(departments[c].name for c in coordinators)
            direction_text = (
                f"Giao {departments[lead_code].name} chủ trì"
                + (f", {helpers} phối hợp" if helpers else "")
                + " tham mưu, xử lý; báo cáo kết quả trước ngày "
                + f"{deadline:%d/%m/%Y}."
            )
            services.direct_document(
                leader,
                document.pk,
                version=None,
                text=direction_text,
                lead=Target(department=departments[lead_code]),
                coordinators=[Target(department=departments[c]) for c in coordinators],
                informed=[Target(user=people.heads["VP"])]
                if leader != people.heads["VP"] and rng.random() < 0.3
                else [],
                deadline=deadline,
            )
        if fate < 0.25:
            return  # waits for the department head
        head = people.heads[lead_code]
        specialist = rng.choice(people.staff[lead_code])
        moment = self._working_moment(moment, rng.uniform(1, 20))
        if moment >= now:
            return
        lead = Assignment.objects.get(
            document=document, role=Assignment.Role.LEAD, parent__isnull=True
        )
        assert lead.deadline is not None  # directed above with a deadline
        with self._at(moment):
            services.pass_on(
                head,
                document.pk,
                version=None,
                assignment_id=lead.pk,
                specialist=specialist,
                note="Đề nghị đồng chí nghiên cứu, tham mưu.",
            )
        child = Assignment.objects.get(parent=lead)
        late = rng.random() < 0.15
        if rng.random() < 0.1:
            # The department asks the leader for more time for the whole work.
            moment = self._working_moment(moment, rng.uniform(4, 30))
            if moment < now and lead.deadline >= timezone.localdate(moment):
                with self._at(moment):
                    extension = services.request_extension(
                        head,
                        document.pk,
                        assignment_id=lead.pk,
                        requested_deadline=lead.deadline + timedelta(days=7),
                        reason="Cần thêm thời gian lấy ý kiến các xã, thị trấn.",
                    )
                moment = self._working_moment(moment, rng.uniform(2, 20))
                if moment < now:
                    with self._at(moment):
                        services.decide_extension(
                            leader,
                            document.pk,
                            extension_id=extension.pk,
                            grant=rng.random() < 0.8,
                            note="",
                        )
        if fate < 0.45:
            return  # in progress, some of them overdue by now
        child.refresh_from_db()
        assert child.deadline is not None  # passed on under the department's deadline
        finish_day = (
            child.deadline + timedelta(days=rng.randint(1, 6))
            if late
            else child.deadline - timedelta(days=rng.randint(0, 3))
        )
        finish = self._working_moment(
            timezone.make_aware(
                datetime.combine(
                    max(finish_day, timezone.localdate(moment)), time(hour=rng.randint(8, 16))
                )
            ),
            0,
        )
        if finish <= moment:
            finish = self._working_moment(moment, 2)
        if finish >= now:
            return
        with self._at(finish):
            for coordinator in Assignment.objects.filter(
                document=document, role=Assignment.Role.COORDINATE, state=Assignment.State.PENDING
            ).select_related("assignee_department"):
                assert coordinator.assignee_department is not None  # directed to departments
                coordinator_head = people.heads[coordinator.assignee_department.short_code]
                services.complete_part(
                    coordinator_head,
                    document.pk,
                    assignment_id=coordinator.pk,
                    result="Đã có ý kiến phối hợp bằng văn bản.",
                )
            services.complete_document(
                specialist,
                document.pk,
                version=None,
                result="Đã tham mưu văn bản trả lời, trình lãnh đạo ký ban hành.",
                reply_number_symbol=f"{rng.randint(100, 900)}/UBND-{lead_code}",
            )


CONVERSATION = [
    ("tp", "Chào cả phòng, sáng thứ Hai họp giao ban lúc 8 giờ tại phòng họp số 2."),
    ("cv1", "Dạ, em đã nhận. Em sẽ chuẩn bị báo cáo tiến độ các văn bản đang xử lý."),
    ("pp", "Đề nghị các đồng chí rà soát văn bản sắp đến hạn trong tuần."),
]


def _build_conversations(builder: DemoBuilder, people: DemoPeople) -> None:
    """A few conversations, so that "Tin nhắn" is not empty in the demo."""
    finance = Department.objects.get(short_code="TCKH")
    department_chat = messaging.ensure_department_conversation(finance)
    by_prefix = {
        "tp": people.heads["TCKH"],
        "pp": people.staff["TCKH"][0],
        "cv1": people.staff["TCKH"][1],
    }
    start = timezone.now() - timedelta(days=2)
    for offset, (who, text) in enumerate(CONVERSATION):
        with builder._at(start + timedelta(minutes=7 * offset)):
            messaging.post_message(by_prefix[who], department_chat.pk, text)
    direct = messaging.start_direct_conversation(people.leaders[0], people.heads["TCKH"])
    with builder._at(start + timedelta(hours=3)):
        messaging.post_message(
            people.leaders[0],
            direct.pk,
            "Đồng chí kiểm tra giúp tiến độ giải ngân vốn đầu tư công.",
        )
    with builder._at(start + timedelta(hours=3, minutes=20)):
        messaging.post_message(
            people.heads["TCKH"], direct.pk, "Dạ, chiều nay phòng sẽ gửi báo cáo để đồng chí xem."
        )


@transaction.atomic
def load_demo(
    *, documents: int = 300, days: int = 150, seed: int = 2026, outgoing: int = 70
) -> bool:
    """Create the demo agency; False (and nothing done) when an agency already exists.

    ``outgoing`` is about how many outgoing documents to write; a fixed set of them (some
    forty) always shows every state and every special case."""
    if Agency.objects.exists():
        return False
    today = timezone.localdate()
    for year in {today.year, (today - timedelta(days=days)).year}:
        load_holidays(year)
    builder = DemoBuilder(documents=documents, days=days, seed=seed)
    people = builder.build_directory()
    outgoing_demo = OutgoingDemo(people, days=days, seed=seed, total=outgoing, incoming=documents)
    builder.build_documents(people, outgoing_demo)
    outgoing_demo.finish()
    builder.build_conversations(people)
    # Digital signatures (issue 7): a test CA, the leaders' keys and the agency's seal, from
    # now on; the simulated history stays as it was issued (unsigned, as before ký số).
    install_demo_keys(Agency.objects.get(), people.leaders)
    return True
