#!/bin/bash
# Builds squidGuard's Berkeley DB from the same UT1 lists Charter imports, in WORK/sg.
# usage: squidguard_setup.sh UT1_DIR WORK
set -euo pipefail
UT1=$1; WORK=$2
MAPPED="adult mixed_adult lingerie gambling arjel drogue agressif sect hacking dangerous_material ddos malware cryptojacking stalkerware phishing warez vpn redirector strict_redirector strong_redirector residential-proxies doh remote-control chat forums social_networks audio-video radio webmail ai shopping games dating filehosting download press jobsearch bank financial bitcoin blog"
rm -rf "$WORK/sg"; mkdir -p "$WORK/sg/db" "$WORK/sg/log"
CONF="$WORK/sg/squidGuard.conf"
{
  echo "dbhome $WORK/sg/db"
  echo "logdir $WORK/sg/log"
  PASS=""
  for c in $MAPPED; do
    [ -d "$UT1/$c" ] || continue
    n=$(echo "$c" | tr -- '-' '_')
    mkdir -p "$WORK/sg/db/$c"
    echo "dest $n {"
    if [ -f "$UT1/$c/domains" ]; then cp "$UT1/$c/domains" "$WORK/sg/db/$c/domains"; echo "  domainlist $c/domains"; fi
    if [ -f "$UT1/$c/urls" ]; then cp "$UT1/$c/urls" "$WORK/sg/db/$c/urls"; echo "  urllist $c/urls"; fi
    echo "}"
    PASS="$PASS !$n"
  done
  echo "acl {"
  echo "  default {"
  echo "    pass$PASS all"
  echo "    redirect 302:http://blocked.invalid/?url=%u"
  echo "  }"
  echo "}"
} > "$CONF"
chown -R proxy:proxy "$WORK/sg" 2>/dev/null || true
( cd "$WORK/sg" && time squidGuard -c "$CONF" -C all ) 2>&1 | tail -4
du -sh "$WORK/sg/db" | sed 's/^/squidGuard database (lists + .db): /'
du -ch "$WORK"/sg/db/*/*.db | tail -1 | sed 's/^/squidGuard .db files: /'
