# The man page and the bash, zsh and fish completions are generated from the
# tables that make --help (issue 14): every option of --help is in each of
# them, the man page renders without warnings, the completions parse and
# complete; --license prints the program's and every model's license.
. "$(dirname "$0")/lib.sh"
: "${GH_BUILD_DIR:?}"
DOC="$GH_BUILD_DIR/doc"
cd "$T" || exit 1
"$GHIBLIFY" --help >help.txt
# Option heads: "  -o, --output FILE", "      --sync", "    --denoise-sigma-color X".
sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z0-9][a-z0-9-]*\).*/\2/p' help.txt | sort -u >opts.txt
check "--help lists the options and stage parameters" test "$(wc -l <opts.txt)" -gt 60
missing_man= missing_bash= missing_zsh= missing_fish=
while read -r o; do
  grep -qF -- "\\-\\-$(printf %s "$o" | sed 's/-/\\-/g')" "$DOC/ghiblify.1" || missing_man="$missing_man $o"
  grep -qE -- "(^| |'|\|)--$o( |\)|\|)" "$DOC/ghiblify.bash" || missing_bash="$missing_bash $o"
  grep -qF -e "--$o[" -e ",--$o}'[" "$DOC/_ghiblify" || missing_zsh="$missing_zsh $o"
  grep -qF -- "-l $o " "$DOC/ghiblify.fish" || missing_fish="$missing_fish $o"
done <opts.txt
check "every --help option is in the man page (missing:$missing_man)" test -z "$missing_man"
check "every --help option is in the bash completion (missing:$missing_bash)" test -z "$missing_bash"
check "every --help option is in the zsh completion (missing:$missing_zsh)" test -z "$missing_zsh"
check "every --help option is in the fish completion (missing:$missing_fish)" test -z "$missing_fish"
# Stages and looks are there too.
for s in $(sed -n '/^Stages, in pipeline order:/,/^$/s/^  \([a-z]*\) .*/\1/p' help.txt); do
  check "man page documents stage $s" grep -q "^\.B $s\$" "$DOC/ghiblify.1"
done
"$GHIBLIFY" --list-looks | sed -n 's/^\([a-z][a-z0-9-]*\).*/\1/p' >looks.txt
check "looks listed" test -s looks.txt
while read -r l; do check "man page documents look $l" grep -q "^\.B $l\$" "$DOC/ghiblify.1"; done <looks.txt

# The man page renders without a warning (groff with all warnings, and man -l).
groff -man -Tutf8 -ww -z "$DOC/ghiblify.1" 2>groff.err
check "groff renders ghiblify.1 without warnings" test ! -s groff.err
if command -v man >/dev/null; then
  MANWIDTH=80 man --warnings -l "$DOC/ghiblify.1" >man.txt 2>man.err
  check "man -l renders without warnings" test ! -s man.err
  check "man page has NAME, SYNOPSIS, OPTIONS, EXIT STATUS" \
    test "$(grep -c '^NAME$\|^SYNOPSIS$\|^OPTIONS$\|^EXIT STATUS$' man.txt)" -eq 4
else
  echo "note: man not installed, man -l not checked"
fi

# bash: the function completes options, look names, models, comma lists.
complete_bash() { # complete_bash WORD...: COMPREPLY for the last word
  bash -c '. "$1"; shift; COMP_WORDS=(ghiblify "$@"); COMP_CWORD=$#; _ghiblify; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$DOC/ghiblify.bash" "$@"
}
check "bash completion parses" bash -n "$DOC/ghiblify.bash"
check "bash: --lo completes to --look" test "$(complete_bash --lo | tr '\n' ' ')" = "--look "
check "bash: --look offers every look" test "$(complete_bash --look '' | sort | tr '\n' ' ')" = "$(sort looks.txt | tr '\n' ' ')"
check "bash: --model offers shinkai" grep -qx shinkai <(complete_bash --model sh)
check "bash: -f offers png and jpg" test "$(complete_bash -f '' | sort | tr '\n' ' ')" = "jpg png "
check "bash: --stages completes after a comma" grep -qx "resize,denoise" <(complete_bash --stages resize,den)
check "bash: a number option offers nothing" test -z "$(complete_bash --quality '')"

if command -v zsh >/dev/null; then
  check "zsh completion parses" zsh -n "$DOC/_ghiblify"
else
  echo "note: zsh not installed, _ghiblify not parsed"
fi
if command -v fish >/dev/null; then
  check "fish completion parses" fish -n "$DOC/ghiblify.fish"
  fish -c "source '$DOC/ghiblify.fish'; complete -C 'ghiblify --look '" 2>/dev/null | cut -f1 | sort >fish-looks.txt
  check "fish: --look offers every look" cmp -s fish-looks.txt <(sort looks.txt)
  check "fish: --qual completes to --quality" grep -q '^--quality' <(fish -c "source '$DOC/ghiblify.fish'; complete -C 'ghiblify --qual'" 2>/dev/null)
else
  echo "note: fish not installed, ghiblify.fish not parsed"
fi

# --license: the program's license and each built-in generator's terms.
run 0 --license
check "--license prints the MIT license" grep -q "^MIT License$" "$T/.out"
check "--license prints the LICENSE file whole" grep -qF "$(tail -1 "$GH_SOURCE_DIR/LICENSE")" "$T/.out"
for name in $(sed -n 's/^GH_MODEL_FILE("\([^"][^"]*\)".*/\1/p' "$GH_SOURCE_DIR/src/nn/models.def"); do
  check "--license names $name's terms" grep -A1 -q "^$name (" "$T/.out"
done
check "--license says the weights are non-commercial" grep -q "non-commercial" "$T/.out"
finish
