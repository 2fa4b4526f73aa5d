"""The touchscreen's routes, one router per concern: sessions, the live view, alerts, look-ups."""
