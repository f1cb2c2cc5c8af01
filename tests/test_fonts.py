from views.fonts import FAMILY, font_files


def test_every_face_is_shipped() -> None:
    files = font_files()
    assert FAMILY == "DejaVuSans"
    assert set(files) == {"", "B", "I", "BI"}
    for path in files.values():
        assert path.is_file() and path.stat().st_size > 100_000, path
