"""A frame of the degradation set that zxing-cpp cannot read, and the crop the gate hands the
cascade's candidate steps: what a crop/... step gets to work on."""
import cv2

from drivers.scanner import degrade, locate
from drivers.scanner.decoders import ZxingDecoder


def unread_crop(name: str):
    """(the degradation item, its candidate crop), e.g. unread_crop("moire/003")."""
    item = next(i for i in degrade.items(kinds=(name.split("/")[0],)) if i.name == name)
    gray = cv2.cvtColor(item.frame(), cv2.COLOR_BGR2GRAY)
    zx = ZxingDecoder(locate_failures=True)
    assert zx.decode(gray) == [], f"{name}: zxing-cpp reads it as it is; nothing for a fallback"
    return item, locate.candidates(gray, zx.last_errors)[0].crop(gray)
