"""Decoder adapters: raw bytes kept, ECI designators recovered, wechat's UTF-8 trap caught."""
import numpy as np
import pytest
import zxingcpp

from drivers.scanner import preprocess
from drivers.scanner.decoders import WechatDecoder, ZbarDecoder, ZxingDecoder
from drivers.scanner.decoders.zxing import eci_segments
from drivers.scanner.synth import code_image
from kiosk.domain.payload import decode_text

GB = "江苏省南京市玄武区中山路1号".encode("gb18030")


def hexs(b: bytes) -> str:
    return " ".join(f"{x:02X}" for x in b)


def test_eci_stream_parsing():
    assert eci_segments(hexs(b"]Q1abc"), b"abc") == ()
    stream = b"]Q2\\000032" + GB + b"\\000026a\\\\b"
    assert eci_segments(hexs(stream), GB + b"a\\b") == ((32, GB), (26, b"a\\b"))
    # A stream that does not add up to the raw bytes is not trusted.
    assert eci_segments(hexs(b"]Q2\\000026abc"), b"abd") == ()
    assert eci_segments("not hex", b"") == ()


def zxing_code(text: str, eci: int) -> np.ndarray:
    return np.array(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, eci=eci).to_image(scale=6))


@pytest.mark.parametrize("text,eci", [("营业执照张三", 32), ("ﾃﾞｻﾞｲﾝQR", 20), ("café", 3), ("统一社会信用代码", 26)])
def test_zxing_keeps_bytes_and_eci(text, eci):
    img = np.pad(zxing_code(text, eci), 24, constant_values=255)
    [code] = ZxingDecoder().decode(img)
    assert [e for e, _ in code.segments] == [eci]
    assert decode_text(code.data, code.segments).text == text
    assert len(code.quad) == 4 and code.area > 0


def test_zxing_without_eci_gives_raw_bytes_and_no_segments():
    [code] = ZxingDecoder().decode(code_image(GB))
    assert code.data == GB and code.segments == ()


def test_zbar_binary_mode_gives_the_raw_bytes():
    dec = ZbarDecoder()
    assert dec.binary
    [code] = dec.decode(code_image(GB))
    assert code.data == GB                       # not zbar's (wrong) text guess
    assert code.area > 0
    assert dec.decode(np.full((200, 200), 255, np.uint8)) == []


class Stub:
    def __init__(self, result=None, error=None):
        self.result, self.error = result, error

    def detectAndDecode(self, img):
        if self.error:
            raise self.error
        return self.result


def test_wechat_catches_its_utf8_trap():
    dec = WechatDecoder(detector=Stub(error=UnicodeDecodeError("utf-8", b"\xd5", 0, 1, "invalid")))
    assert dec.decode(np.zeros((10, 10), np.uint8)) == [] and dec.non_utf8 == 1
    pts = [np.array([[1, 1], [9, 1], [9, 9], [1, 9]], np.float32)]
    dec = WechatDecoder(detector=Stub(result=(["营业执照"], pts)))
    [code] = dec.decode(np.zeros((10, 10), np.uint8))
    assert code.data == "营业执照".encode("utf-8") and code.area == 64


def test_to_gray_accepts_camera_shapes():
    bgr = np.zeros((4, 6, 3), np.uint8)
    assert preprocess.to_gray(bgr).shape == (4, 6)
    assert preprocess.to_gray(np.zeros((4, 6, 4), np.uint8)).shape == (4, 6)
    assert preprocess.to_gray(np.zeros((4, 6, 1), np.uint8)).shape == (4, 6)
    assert preprocess.to_gray(np.zeros((4, 6), np.uint8)).shape == (4, 6)
