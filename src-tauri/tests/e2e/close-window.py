#!/usr/bin/python3
"""Asks the X window whose id is the first argument to close, exactly as a window manager does
when the person clicks its close button: a WM_DELETE_WINDOW client message. (The test's X
server has no window manager, and `xdotool windowclose` would destroy the window instead.)"""

import sys

from Xlib import X, display
from Xlib.protocol import event


def main():
    screen = display.Display()
    window = screen.create_resource_object("window", int(sys.argv[1]))
    protocols = screen.intern_atom("WM_PROTOCOLS")
    delete = screen.intern_atom("WM_DELETE_WINDOW")
    message = event.ClientMessage(
        window=window,
        client_type=protocols,
        data=(32, [delete, X.CurrentTime, 0, 0, 0]),
    )
    window.send_event(message, event_mask=X.NoEventMask)
    screen.flush()


if __name__ == "__main__":
    main()
