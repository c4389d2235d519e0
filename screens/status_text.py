"""Device problems in words a citizen understands (ARCHITECTURE §5: say it in plain Chinese)."""
from kiosk.ports import DeviceState

_PRINTER = {
    DeviceState.PAPER_OUT: "打印机缺纸，暂不能打印回执，请联系工作人员",
    DeviceState.COVER_OPEN: "打印机盖未关好，暂不能打印回执，请联系工作人员",
    DeviceState.ABSENT: "打印机未连接，暂不能打印回执，请联系工作人员",
    DeviceState.FAULT: "打印机故障，暂不能打印回执，请联系工作人员",
}
# The reader and the code scanner: unplugged or faulty, the citizen can do the same (ask staff).
_UNUSABLE = {
    "idcard": "身份证阅读器暂不可用，请联系工作人员",
    "scanner": "扫码器暂不可用，请联系工作人员",
}


def printer_problem(devices) -> str:
    status = devices.get("printer")
    return _PRINTER.get(status.state, "") if status else ""


def device_problem(devices, name: str) -> str:
    """What the screen says about one device ("idcard", "scanner", "printer"); "" when usable
    or not yet reported."""
    if name == "printer":
        return printer_problem(devices)
    status = devices.get(name)
    if status is None or status.usable:
        return ""
    return _UNUSABLE[name]
