#!/bin/sh
# "/" (busybox httpd runs cgi-bin/index.cgi because there is no index.html)
. /lib/azb/common.sh
h=$(hostname | sed 's/[<>&]/_/g')
m=$(azb_marker | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
printf 'Content-Type: text/html\r\nCache-Control: no-store\r\n\r\n'
cat <<HTML
<!DOCTYPE html>
<html><head><title>azb-guest $h</title></head>
<body>
<h1>azb lab guest: $h</h1>
<p>AZB-GUEST hostname=$h</p>
<p>marker: <span id="marker">$m</span></p>
<pre>
$(azb_status | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
</pre>
</body></html>
HTML
