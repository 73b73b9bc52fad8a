# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file part every plan shares: which of the module's files differ from the box, which are to
go, and what each held before (the diff shows it)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class FilePlan(object):
    def __init__(self):
        self.files_write = {}   # path -> content to write
        self.files_old = {}     # path -> content on the box before (None: absent)
        self.files_stale = []   # paths to remove

    def want_files(self, ad, files):
        """Plan to write every one of ``files`` (path -> content) whose content on the box differs."""
        for path, content in sorted(files.items()):
            old = ad.read(path)
            if old != content:
                self.files_write[path] = content
                self.files_old[path] = old

    def drop_files(self, ad, paths):
        """Plan to remove every one of ``paths`` that is on the box."""
        for path in paths:
            old = ad.read(path)
            if old is not None:
                self.files_stale.append(path)
                self.files_old[path] = old

    def write_files(self, ad):
        for path, content in sorted(self.files_write.items()):
            ad.write(path, content)
