"""Code scanning (issue #4; docs/scanning.md): a camera or a serial scanner module in,
classified codes (kiosk.domain.payload.ScannedCode) out.

    camera.py          CameraScanner: the CodeScanner adapter for cameras (capture + decode threads)
    capture.py         frame sources (cv2.VideoCapture on a device or a video file), latest-frame slot
    cascade.py         decoders tried in order within a per-frame time budget
    decoders/          zxing-cpp, pyzbar (binary mode), cv2.wechat_qrcode behind one interface
    preprocess.py      the image preparations the cascade's steps use
    locate.py          where a code may be: the gate in front of the heavy steps
    deblur.py          motion blur estimated from the crop and undone (Wiener)
    superres.py        WeChat's super-resolution network on small codes
    confirm.py         agreement before acceptance (check character, second frame, second step)
    hint.py            a code seen but not read: closer / steadier / brighter / tilt
    pipeline.py        frame -> cascade -> confirmed ScannedCode (+ hint); de-duplication
    degrade.py         the degradation test set (seeded) and how a reader is scored on it
    serial_scanner.py  SerialCodeScanner: a scanner module sending lines over (USB-)serial
    simulator.py       the "images" driver: a folder of images or a video file, codes the dock shows
    synth.py           camera frames with a generated code in them (simulator, tests, benchmark)
    null.py            the "none" driver
    cli.py             `kiosk device scan`
"""
