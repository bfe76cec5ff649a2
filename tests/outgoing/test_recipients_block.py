"""The "Kính gửi" / "Nơi nhận" blocks as Decree 30, Appendix I lays them out."""

from __future__ import annotations

from documents.recipients_block import build_recipients_block


def test_cong_van_to_one_recipient_has_one_kinh_gui_line():
    block = build_recipients_block(
        "CV",
        to_execute=["Sở Tài chính"],
        to_inform=["Chủ tịch UBND huyện"],
        drafting_unit="TCKH",
    )
    assert block.addressed == ["Kính gửi: Sở Tài chính."]
    assert block.recipients == [
        "Nơi nhận:",
        "- Như trên;",
        "- Chủ tịch UBND huyện;",
        "- Lưu: VT, TCKH.",
    ]


def test_cong_van_to_several_recipients_is_a_dash_list_ending_with_a_period():
    block = build_recipients_block(
        "CV",
        to_execute=["Sở Tài chính", "Sở Nội vụ", "Phòng Nội vụ"],
        to_inform=["Thường trực HĐND huyện", "Sở Tài chính"],
        drafting_unit="TCKH",
    )
    assert block.addressed == [
        "Kính gửi:",
        "- Sở Tài chính;",
        "- Sở Nội vụ;",
        "- Phòng Nội vụ.",
    ]
    # A recipient already addressed is not repeated below "Như trên".
    assert block.recipients == [
        "Nơi nhận:",
        "- Như trên;",
        "- Thường trực HĐND huyện;",
        "- Lưu: VT, TCKH.",
    ]
    assert block.text.startswith("Kính gửi:\n- Sở Tài chính;")


def test_to_trinh_and_bao_cao_are_addressed_too():
    for code in ("TTR", "BC"):
        block = build_recipients_block(code, to_execute=["UBND tỉnh"], drafting_unit="VP")
        assert block.addressed == ["Kính gửi: UBND tỉnh."]
        assert block.recipients == ["Nơi nhận:", "- Như trên;", "- Lưu: VT, VP."]


def test_quyet_dinh_has_only_noi_nhan():
    block = build_recipients_block(
        "QD",
        to_execute=["Phòng Nội vụ", "Phòng Tài chính - Kế hoạch"],
        to_inform=["Chủ tịch, các PCT UBND huyện"],
        drafting_unit="NV",
        to_file=["NV", "TCKH"],
        file_copies=2,
    )
    assert block.addressed == []
    assert block.recipients == [
        "Nơi nhận:",
        "- Phòng Nội vụ;",
        "- Phòng Tài chính - Kế hoạch;",
        "- Chủ tịch, các PCT UBND huyện;",
        "- Lưu: VT, NV, TCKH (2).",
    ]
    assert "Như trên" not in block.text


def test_without_a_drafting_unit_the_clerks_keep_the_copy():
    block = build_recipients_block("CV", to_execute=[], drafting_unit="")
    assert block.addressed == []
    assert block.recipients == ["Nơi nhận:", "- Lưu: VT."]
