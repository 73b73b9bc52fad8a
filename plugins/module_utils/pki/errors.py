# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input errors that name the field path of the offending value."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class SpecError(ValueError):
    """Bad input, found before anything on the box changed: ``path: reason``."""

    def __init__(self, path, reason):
        self.path = path
        self.reason = reason
        super(SpecError, self).__init__("%s: %s" % (path, reason) if path else reason)
