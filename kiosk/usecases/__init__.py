"""One small object per flow of a visit. Each is called only from the controller's thread
(kiosk/controller.py), performs the side effects of its flow through the ports (hall, outbox,
printer, camera) and answers with the session event that carries the outcome; the session
state machine (kiosk/session/) alone decides what the person sees next. See docs/overview.md."""
