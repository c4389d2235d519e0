"""Code scanning (issue #4; docs/scanning.md): a camera or a serial scanner module in,
classified codes (kiosk.domain.payload.ScannedCode) out.

    camera.py          CameraScanner: the CodeScanner adapter for cameras (capture + decode threads)
    capture.py         frame sources (cv2.VideoCapture on a device or a video file), latest-frame slot
    cascade.py         decoders tried in order within a per-frame time budget
    decoders/          zxing-cpp, pyzbar (binary mode), cv2.wechat_qrcode behind one interface
    preprocess.py      the image preparations the cascade's steps use
    pipeline.py        frame -> cascade -> ScannedCode; de-duplication
    serial_scanner.py  SerialCodeScanner: a scanner module sending lines over (USB-)serial
    simulator.py       the "images" driver: a folder of images or a video file, codes the dock shows
    synth.py           camera frames with a generated code in them (simulator, tests, benchmark)
    null.py            the "none" driver
    cli.py             `kiosk device scan`
"""
