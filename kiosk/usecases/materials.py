"""Materials (申请材料): the still camera. A photo is taken on the controller's thread, never
the UI's (the driver scales and JPEG-encodes the newest frame); the camera's status decides
whether 拍照 is offered and what a missing material's message tells the person."""
from __future__ import annotations

import logging

from kiosk import session as S
from kiosk.ports import CaptureFailed, DeviceStatus, StillCamera

log = logging.getLogger(__name__)


class Materials:
    def __init__(self, camera: StillCamera | None):
        self._camera = camera
        self.camera_status: DeviceStatus | None = camera.status() if camera is not None else None

    def refresh(self) -> None:
        """Cheap (a lock and a field): a camera unplugged meanwhile greys 拍照 within a tick."""
        if self._camera is not None:
            self.camera_status = self._camera.status()

    def submit(self) -> S.SubmitMaterials:
        st = self._camera.status() if self._camera is not None else None
        self.camera_status = st
        return S.SubmitMaterials(camera_ok=st is not None and st.usable)

    def take_photo(self):
        if self._camera is None:
            return S.PhotoFailed("本机没有摄像头，不能拍照")
        try:
            return S.PhotoTaken(self._camera.capture_jpeg())
        except CaptureFailed as e:
            log.warning("material photo failed: %s", e.message)
            return S.PhotoFailed(e.message)
        finally:
            self.camera_status = self._camera.status()
