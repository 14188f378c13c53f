#!/bin/sh
# A scripted terminal conversation for village fact cards (issue 6): the coordinator imports the sample sheets
# (samples/village_sample.csv, two invented villages); 王小明, 村党组书记 of 嘉积镇椰林村, reads his village card,
# practises (answering a village question right) and is interviewed on his village's numbers; 石大山 of 博鳌镇石头村
# sees only his own village — the script checks that no word of 椰林村's sheet reaches him; the 嘉积镇 coordinator
# sees 椰林村 but not 石头村. Invented names and figures; a throw-away database.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup_venv.sh >/dev/null
db="${SHUXI_DB:-$(mktemp -d)/demo.db}"
py=.venv/bin/python
bot() { $py -m bot --db "$db" chat --as "$1"; }

echo "=== The town coordinator imports the sample village sheets (and once more: re-import updates, never duplicates)"
$py -m bot --db "$db" villages import samples/village_sample.csv
$py -m bot --db "$db" villages import samples/village_sample.csv
$py -m bot --db "$db" villages list

echo
echo "=== 村党组书记 王小明 of 嘉积镇椰林村: registers, reads his village card, starts /practice"
printf '/start\n王小明\n5\n嘉积镇\n椰林村\n/village\n/practice\n' | bot wang

# Which village question comes first is random, so the demo looks up what to type: the right answer of the current
# practice question (as the person would have it from the card), or an interview answer that makes every key point
# of the current question but the last.
current() {
  $py - "$db" "$1" <<'PY'
import random, sys
from bot.kernel.models import QuestionType
from bot.kernel.store import Store
from bot.villages import VillageFacts
store = Store(sys.argv[1])
session = store.open_session(store.person(sys.argv[2]).id)
question = VillageFacts(store).question(session.question_ids[session.position])
if session.mode == "interview":
    print("；".join(p.point for p in question.key_points[:-1]))
elif question.type is QuestionType.multiple:   # letters, in the order this session shows the options
    options = list(question.choices)
    random.Random(f"{session.id}:{question.id}").shuffle(options)
    print("".join("ABCDEFGH"[i] for i, o in enumerate(options) if o in question.answer))
else:
    print(question.answer_text)
PY
}
answer=$(current cli:wang)
echo
echo "=== 王小明 answers the village question (the bot was restarted in between: practice carries on)"
printf '%s\n/cancel\n' "$answer" | bot wang

echo
echo "=== 王小明: a mock interview — the first questions are about his village. He makes every point of the first"
echo "    question but the last, then does not know the second: the missed points come with the model answer"
printf '/interview\n' | bot wang
printf '%s\n不太清楚\n/cancel\n' "$(current cli:wang)" | bot wang

echo
echo "=== 石大山, 村党组书记 of 博鳌镇石头村: his own card, practice and interview only"
out=$(printf '/start\n石大山\n5\n博鳌镇\n石头村\n/village\n/village 椰林村\n/practice\n/cancel\n/interview\n/cancel\n' | bot shi)
printf '%s\n' "$out"
leaks=0
said=$(printf '%s\n' "$out" | grep -v '^> ')   # what the bot said (not what 石大山 typed)
for word in 椰林 陈海燕 符美玲 椰子种植 槟榔种植 文昌鸡 1260 13860 15230 58.6; do
  if printf '%s' "$said" | grep -q "$word"; then echo "LEAK: $word"; leaks=1; fi
done
[ "$leaks" = 0 ] && echo "--- checked: none of 椰林村's names or figures appears in what the bot said to 石大山"

echo
echo "=== The 嘉积镇 coordinator (config/coordinators.yaml: cli:jiaji): villages of 嘉积镇 only"
printf '/village\n/village 石头村\n' | bot jiaji
printf '/village 椰林村\n' | bot jiaji | head -4
exit "$leaks"
