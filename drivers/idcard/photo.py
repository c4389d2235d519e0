"""The one hook for decoding the WLT photo — off by default.

The photo on the chip is WLT, a proprietary wavelet compression; only licensed vendor
libraries decode it (e.g. the `libwlt2bmp` / `WltRS` / `termb` libraries shipped with readers,
which need the reader's licence file). This project does not decode it, and the driver drops the
1,024 bytes as soon as the read reply is parsed (ARCHITECTURE §5: the ID photo is not stored).

A deployment that has such a library may pass a decoder to SerialIdCardReader:

    def decode(wlt: bytes) -> bytes:          # 1,024 bytes of WLT in, an image (BMP/PNG) out
        return vendor_lib.wlt_to_bmp(wlt)

    SerialIdCardReader(port, photo_decoder=decode)

The image then rides on IdentityCard.photo (kept out of repr and equality) for that session
only, to be shown on screen; nothing in the kiosk writes it anywhere. A decoder that raises is
logged and ignored: the card is still reported, without a photo.
"""
from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger(__name__)

PhotoDecoder = Callable[[bytes], bytes]


def decode_photo(decoder: PhotoDecoder | None, wlt: bytes) -> bytes | None:
    if decoder is None or not wlt:
        return None
    try:
        return decoder(wlt)
    except Exception:       # a vendor library's failure must not cost the user their card read
        log.exception("photo decoder failed; card reported without a photo")
        return None
