"""Reference data every installation has: the 29 administrative document types.

Decree 30/2020, Art. 7 and Appendix III (DOMAIN.md §b): (code, name, abbreviation).
"""

from __future__ import annotations

DOCUMENT_TYPES = [
    ("NQ", "Nghị quyết", "NQ"),
    ("QD", "Quyết định", "QĐ"),
    ("CT", "Chỉ thị", "CT"),
    ("QC", "Quy chế", "QC"),
    ("QYD", "Quy định", "QyĐ"),
    ("TC", "Thông cáo", "TC"),
    ("TB", "Thông báo", "TB"),
    ("HD", "Hướng dẫn", "HD"),
    ("CTR", "Chương trình", "CTr"),
    ("KH", "Kế hoạch", "KH"),
    ("PA", "Phương án", "PA"),
    ("DEAN", "Đề án", "ĐA"),
    ("DA", "Dự án", "DA"),
    ("BC", "Báo cáo", "BC"),
    ("BB", "Biên bản", "BB"),
    ("TTR", "Tờ trình", "TTr"),
    ("HDONG", "Hợp đồng", "HĐ"),
    ("CV", "Công văn", ""),
    ("CD", "Công điện", "CĐ"),
    ("BGN", "Bản ghi nhớ", "BGN"),
    ("BTT", "Bản thỏa thuận", "BTT"),
    ("GUQ", "Giấy ủy quyền", "GUQ"),
    ("GM", "Giấy mời", "GM"),
    ("GGT", "Giấy giới thiệu", "GGT"),
    ("GNP", "Giấy nghỉ phép", "GNP"),
    ("PG", "Phiếu gửi", "PG"),
    ("PC", "Phiếu chuyển", "PC"),
    ("PB", "Phiếu báo", "PB"),
    ("THU_CONG", "Thư công", ""),
]


def ensure_document_types(model) -> None:
    """Create or refresh the types; ``model`` is DocumentType (or its migration state)."""
    for order, (code, name, abbreviation) in enumerate(DOCUMENT_TYPES, start=1):
        model.objects.update_or_create(
            code=code, defaults={"name": name, "abbreviation": abbreviation, "sort_order": order}
        )
