# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors shared by every azb model: bad input names the field path it is about."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ValidationError(ValueError):
    """Input rejected before anything on the box changes. ``path`` is e.g. ``policies[3].ports[0]``."""

    def __init__(self, path, reason):
        self.path = path
        self.reason = reason
        super(ValidationError, self).__init__("%s: %s" % (path, reason))
