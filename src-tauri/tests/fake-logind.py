#!/usr/bin/python3
"""A stand-in for systemd-logind's Inhibit on a private bus, for src-tauri/tests/awake.rs: it
answers Inhibit(what, who, why, mode) with one end of a pipe, as logind does, and writes each
call, then "released" when the caller closes its end, to the file named by the first argument."""

import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

MANAGER = "org.freedesktop.login1.Manager"


class Manager(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, "/org/freedesktop/login1")
        self.log = log

    def write(self, line):
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(line + "\n")

    @dbus.service.method(MANAGER, in_signature="ssss", out_signature="h")
    def Inhibit(self, what, who, why, mode):
        read_end, write_end = os.pipe()
        self.write(f"inhibit {what} {who} {mode} {why}")

        def closed(fd, _condition):
            self.write("released")
            os.close(fd)
            return False

        GLib.io_add_watch(read_end, GLib.IO_HUP | GLib.IO_IN, closed)
        fd = dbus.types.UnixFd(write_end)
        os.close(write_end)
        return fd


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    name = dbus.service.BusName("org.freedesktop.login1", bus)
    manager = Manager(bus, sys.argv[1])
    print("fake logind ready", flush=True)
    GLib.MainLoop().run()
    del name, manager


if __name__ == "__main__":
    main()
