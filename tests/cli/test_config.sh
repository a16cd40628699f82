# --print-config and --config FILE (issue 14): the effective parameters of
# every stage as JSON, read back exactly (round trip, same bytes out), options
# after --config override it, and bad files are one clear line and exit 2.
. "$(dirname "$0")/lib.sh"
check "small fixtures" make_small
cd "$T" || exit 1
flags=(--look totoro --lines 0.3 --fog 0.123456789 --seed 7 --skip texture --size 64)
run 0 "${flags[@]}" --print-config
cp "$T/.out" c.json
/usr/bin/python3 - c.json <("$GHIBLIFY" --help) >py.out 2>&1 <<'PY'
import json, re, sys
cfg = json.load(open(sys.argv[1]))
help_text = open(sys.argv[2]).read()
stages = re.findall(r"^  ([a-z]+) {2,}", help_text.split("Stages, in pipeline order:")[1].split("\n\n")[0], re.M)
assert list(cfg["stages"]) == stages, (list(cfg["stages"]), stages)
params = re.findall(r"^    --([a-z0-9-]+) [A-Z]+ +([a-z]+): ", help_text, re.M)
for flag, stage in params:
    assert len(cfg["stages"][stage]) > 1, stage
n = sum(len(v) - 1 for v in cfg["stages"].values())
assert n == len(params), (n, len(params))
assert cfg["seed"] == 7 and cfg["model"] == "hayao" and cfg["ghiblify_config"] == 1, cfg
assert cfg["stages"]["lines"]["weight"] == 0.3 and cfg["stages"]["fog"]["density"] == 0.123456789, cfg["stages"]["fog"]
assert cfg["stages"]["texture"]["enabled"] is False and cfg["stages"]["resize"]["size"] == 64
PY
check "--print-config: every stage and parameter of --help, the flags' values ($(tail -2 py.out))" test $? -eq 0
run 0 --config c.json --print-config
check "round trip: --config of it prints the same JSON" cmp -s "$T/.out" c.json
run 0 "${flags[@]}" --overwrite -o flags.png small.jpg
run 0 --config c.json --overwrite -o config.png small.jpg
check "the same picture from the flags and from the config file" cmp -s flags.png config.png
run 0 --overwrite -o plain.png --size 64 small.jpg
check "(and not the default picture)" test "$(cmp -s plain.png config.png; echo $?)" -ne 0
run 0 --config c.json --lines 0.5 --print-config
check "options after --config override it" grep -q '"weight":	0.5' "$T/.out"
run 0 --lines 0.5 --config c.json --print-config
check "--config overrides options before it" grep -q '"weight":	0.3' "$T/.out"
printf '{"stages": {"lines": {"enabled": false}}}' >partial.json
run 0 --config partial.json --print-config
check "a partial config changes only its keys" test "$(grep -c '"enabled":	false' "$T/.out")" -eq \
  "$(( $("$GHIBLIFY" --print-config | grep -c '"enabled":	false') + 1 ))"

bad() { # bad NAME JSON EXPECTED-MESSAGE
  printf '%s' "$2" >"$1"
  run 2 --config "$1" small.jpg
  check "$1: exit 2, one line: $3" grep -qF "ghiblify: --config $1: $3" "$T/.err"
  check "$1: nothing written" test ! -e small_ghibli.jpg
}
bad unknown-key.json '{"stagez": {}}' "unknown key 'stagez'"
bad unknown-stage.json '{"stages": {"sparkle": {}}}' "stages: unknown stage 'sparkle'"
bad unknown-param.json '{"stages": {"resize": {"sise": 3}}}' "stages.resize: unknown key 'sise'"
bad wrong-type.json '{"stages": {"resize": {"size": "big"}}}' "stages.resize.size: expected a number, got a string"
bad wrong-enum.json '{"stages": {"denoise": {"method": "nope"}}}' "stages.denoise.method: denoise method: 'nope' is not one of"
bad range.json '{"stages": {"resize": {"size": 99999}}}' "stages.resize.size: resize size: 99999 is outside"
bad enabled.json '{"stages": {"lines": {"enabled": 1}}}' "stages.lines.enabled: expected true/false, got a number"
bad syntax.json '{"stages": [' "not valid JSON"
bad array.json '[1, 2]' "expected a JSON object, got an array"
bad model.json '{"model": "./my.onnx"}' "model: expected a built-in generator's name"
bad seed.json '{"seed": 1.5}' "seed: expected an integer"
bad version.json '{"ghiblify_config": 2}' "ghiblify_config: this ghiblify reads version 1"
run 2 --config missing.json small.jpg
check "a missing config file: named, with the reason" grep -qF "ghiblify: --config missing.json: No such file or directory" "$T/.err"
finish
