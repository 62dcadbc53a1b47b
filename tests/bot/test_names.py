"""File names made from what people typed or sent."""
from bot.names import kept_name, slug


def test_file_names_keep_what_they_were_called_in_plain_letters():
    assert slug("The Last Lighthouse!") == "the-last-lighthouse"
    assert slug("Café au lait") == "cafe-au-lait"  # accents kept as letters, not dropped with them
    assert slug("ζωή") == "film" and slug("ζωή", default="") == ""
    assert kept_name("photo_01", "Me at the beach.JPG", ".jpg") == "photo_01-me-at-the-beach.jpg"
    assert kept_name("77-0", "ζωή.png") == "77-0.png"  # nothing readable left: the stored name alone
    assert kept_name("photo_02", "selfie", ".jpg") == "photo_02-selfie.jpg"
