# -*- coding: utf-8 -*-
# Copyright: azblink.nfv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VM workloads: model (validated intent), render (pure XML), normalise/diff, tc, libvirt adapter."""
