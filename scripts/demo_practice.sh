#!/bin/sh
# A scripted terminal conversation for practice (issue 4): a 村党组书记 and a 帮扶联系人 each practise their own
# curriculum; the secretary's bot is restarted in the middle of a practice session and carries on where it was;
# then a mock interview is graded with the missed points listed. Invented names; a throw-away database.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup_venv.sh >/dev/null
db="${SHUXI_DB:-$(mktemp -d)/demo.db}"
bot() { .venv/bin/python -m bot --db "$db" chat --as "$1"; }

echo "=== 村党组书记 王小明: registers, starts /practice, answers one question"
printf '/start\n王小明\n5\n嘉积镇\n椰林村\n/practice\n1\n' | bot wang
echo "=== (the bot restarts) 王小明 answers the next question of the same practice session"
printf '1\n' | bot wang
echo "=== 帮扶联系人 李小红: her own curriculum"
printf '/start\n李小红\n8\n嘉积镇\n椰林村\n/practice\n' | bot li
echo "=== 王小明: a mock interview, one short answer (graded; the points it misses are listed)"
printf '/cancel\n/interview\n要安排帮扶联系人，落实帮扶措施\n/cancel\n/me\n' | bot wang
