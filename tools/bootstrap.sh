#!/usr/bin/env bash
# MicroFace environment bootstrap — the two commands in the README:
#
#   bash tools/bootstrap.sh demo [OUTDIR]   bake the sample head with one Blender (default OUTDIR: out/)
#   bash tools/bootstrap.sh test            run the test suite on Blender 4.2 LTS and 5.2 LTS (+ bake tests on 5.0)
#
# Blender runs as the `bpy` module from PyPI, inside one venv per supported Blender line:
#   bpy 4.2 LTS needs Python 3.11 (Blender 4.2-5.0 embed 3.11), bpy 5.2 LTS needs Python 3.13.
# Venvs live in ${MICROFACE_VENV_ROOT:-~/.cache/microface}/venv-bpy<ver>-py<XY>; they are reused when
# complete and (re)installed from tools/requirements-bpy<ver>.txt only when something is missing.
#
# Environment knobs:
#   MICROFACE_VENV_ROOT     where the venvs live (default ~/.cache/microface)
#   MICROFACE_BLENDER       demo only: force "4.2" or "5.2" (default: 4.2 if Python 3.11 is here, else 5.2)
#   MICROFACE_PYTHON311     explicit Python 3.11 interpreter (default: searched on PATH and in pyenv)
#   MICROFACE_PYTHON313     explicit Python 3.13 interpreter
#   MICROFACE_TEST_PATHS    test only: what pytest collects (whitespace-separated, default "tests";
#                           when set, only the 4.2 and 5.2 legs run)
#   MICROFACE_TEST_JOBS     test only: pytest runs at once (default 2; 1 runs them one after another)
#   MICROFACE_SKIP_50       test only: 1 skips the Blender 5.0 bake-tests leg
#   MICROFACE_NO_ESPEAK     test only: 1 = do not try to install espeak-ng (the dialogue tests then skip)
#
# Why bash and not Python: the script has to start from a machine that may not yet have the right Python.
set -uo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV_ROOT=${MICROFACE_VENV_ROOT:-$HOME/.cache/microface}
# Blender line -> Python it embeds. Order = test order and demo preference.
TARGETS=("4.2:3.11" "5.2:3.13")
BAKE_50_TESTS="tests/test_bake.py tests/test_breath_head_bake.py tests/test_cascade_bake.py tests/test_golden_curves.py tests/test_dialogue_bake.py tests/test_sparse_bake.py tests/test_reduce.py"

say() { printf '[microface] %s\n' "$*"; }
warn() { printf '[microface] %s\n' "$*" >&2; }

venv_dir() { # BLENDER PYTHON -> venv path
    printf '%s/venv-bpy%s-py%s' "$VENV_ROOT" "$1" "${2/./}"
}

python_install_hint() { # PYTHON_VERSION -> how to get it
    local v=$1
    printf 'Python %s was not found (looked for python%s on PATH, pyenv versions %s.*, $MICROFACE_PYTHON%s).\n' \
        "$v" "$v" "$v" "${v/./}"
    printf '  Get it with one of:\n'
    printf '    pyenv install %s            # any Linux/macOS; then re-run this command\n' "$v"
    printf '    sudo apt-get install python%s python%s-venv   # Debian/Ubuntu releases that package %s\n' "$v" "$v" "$v"
    printf '    (Ubuntu: sudo add-apt-repository ppa:deadsnakes/ppa first if apt has no python%s)\n' "$v"
}

# Print the absolute path of a working Python X.Y interpreter that can create venvs, or fail.
# Tries $MICROFACE_PYTHONXY, pythonX.Y on PATH, then every pyenv X.Y.* through the shim with
# PYENV_VERSION set (how pyenv exposes a non-global version) and its direct path.
find_python() {
    local want=$1 tag=${1/./} explicit cand v
    local probe="import sys, venv, ensurepip; assert sys.version_info[:2] == tuple(map(int, '$want'.split('.'))); print(sys.executable)"
    local -a tried=()
    explicit=$(printenv "MICROFACE_PYTHON$tag" || true)
    if [[ -n $explicit ]]; then
        if "$explicit" -c "$probe" 2>/dev/null; then return 0; fi
        warn "MICROFACE_PYTHON$tag=$explicit is not a working Python $want with venv/ensurepip"
        return 1
    fi
    if command -v "python$want" >/dev/null 2>&1; then
        if "python$want" -c "$probe" 2>/dev/null; then return 0; fi
        tried+=("python$want")
    fi
    if command -v pyenv >/dev/null 2>&1; then
        while read -r v; do
            [[ $v == "$want" || $v == "$want".* ]] || continue
            if PYENV_VERSION=$v "python$want" -c "$probe" 2>/dev/null; then return 0; fi
            cand="$(pyenv root)/versions/$v/bin/python$want"
            if [[ -x $cand ]] && "$cand" -c "$probe" 2>/dev/null; then return 0; fi
            tried+=("pyenv $v")
        done < <(pyenv versions --bare 2>/dev/null | sort -rV)
    fi
    for cand in "/usr/bin/python$want" "/usr/local/bin/python$want"; do
        if [[ -x $cand ]] && "$cand" -c "$probe" 2>/dev/null; then return 0; fi
    done
    if ((${#tried[@]})); then
        warn "found ${tried[*]} but it cannot create venvs (missing venv/ensurepip?):" \
            "on Debian/Ubuntu: sudo apt-get install python$want-venv"
    fi
    return 1
}

# Is VENV a working venv with Blender BLENDER (major.minor) and every tool the suite uses?
venv_complete() {
    local venv=$1 blender=$2
    [[ -x $venv/bin/python ]] || return 1
    "$venv/bin/python" - "$blender" >/dev/null 2>&1 <<'PY'
import sys
import bpy, scipy, jsonschema, pytest, hypothesis, matplotlib, xdist  # noqa: F401  (all must import)
sys.exit(0 if "%d.%d" % tuple(bpy.app.version[:2]) == sys.argv[1] else 3)
PY
}

# Create or repair the venv for BLENDER/PYTHON; prints nothing on success when already complete.
ensure_venv() {
    local blender=$1 pyver=$2 venv python log lockfd=""
    venv=$(venv_dir "$blender" "$pyver")
    venv_complete "$venv" "$blender" && return 0

    mkdir -p "$VENV_ROOT"
    if command -v flock >/dev/null 2>&1; then # two runs at once must not install into one venv
        exec {lockfd}>"$venv.lock"
        flock "$lockfd"
        if venv_complete "$venv" "$blender"; then
            exec {lockfd}>&-
            return 0
        fi
    fi
    local rc=0
    _install_venv "$blender" "$pyver" "$venv" || rc=$?
    [[ -n $lockfd ]] && exec {lockfd}>&-
    return "$rc"
}

_install_venv() {
    local blender=$1 pyver=$2 venv=$3 python log
    log="$VENV_ROOT/install-bpy$blender-py${pyver/./}.log"
    if ! "$venv/bin/python" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$pyver'.split('.'))))" 2>/dev/null; then
        if ! python=$(find_python "$pyver"); then
            python_install_hint "$pyver" >&2
            SETUP_ERROR="Python $pyver not found (see how to get it above)"
            return 1
        fi
        if [[ -e $venv && ! -f $venv/pyvenv.cfg ]]; then
            SETUP_ERROR="$venv exists but is not a venv; move it away and re-run"
            warn "$SETUP_ERROR"
            return 1
        fi
        say "creating $venv with $python"
        rm -rf "$venv"
        "$python" -m venv "$venv" >"$log" 2>&1 || {
            SETUP_ERROR="venv creation with $python failed, see $log"
            warn "$SETUP_ERROR"
            return 1
        }
    fi
    say "installing tools/requirements-bpy$blender.txt into $venv (a fresh venv downloads bpy, ~370 MB; log: $log)"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$REPO_ROOT/tools/requirements-bpy$blender.txt" >>"$log" 2>&1; then
        SETUP_ERROR="pip install -r tools/requirements-bpy$blender.txt failed, see $log"
        warn "pip install failed; last lines of $log:"
        tail -n 20 "$log" >&2
        return 1
    fi
    if ! venv_complete "$venv" "$blender"; then
        SETUP_ERROR="$venv still cannot import bpy $blender + scipy/jsonschema/pytest/hypothesis/matplotlib/xdist"
        warn "$SETUP_ERROR after install"
        return 1
    fi
}

# Pick the Blender line for the demo: MICROFACE_BLENDER, else 4.2 when Python 3.11 (or its venv) is
# here, else 5.2 with Python 3.13.
demo_target() {
    local t blender pyver
    if [[ -n ${MICROFACE_BLENDER:-} ]]; then
        for t in "${TARGETS[@]}"; do
            [[ ${t%%:*} == "$MICROFACE_BLENDER" ]] && { echo "$t"; return 0; }
        done
        warn "MICROFACE_BLENDER=$MICROFACE_BLENDER is not one of: ${TARGETS[*]%%:*}"
        return 1
    fi
    for t in "${TARGETS[@]}"; do
        blender=${t%%:*} pyver=${t##*:}
        if venv_complete "$(venv_dir "$blender" "$pyver")" "$blender" || find_python "$pyver" >/dev/null 2>&1; then
            echo "$t"
            return 0
        fi
    done
    warn "MicroFace needs Python 3.11 (for Blender 4.2 LTS) or Python 3.13 (for Blender 5.2 LTS)."
    python_install_hint 3.11 >&2
    return 1
}

cmd_demo() {
    local out=${1:-$REPO_ROOT/out} target blender pyver py
    mkdir -p "$out" && out=$(cd "$out" && pwd) || { warn "cannot create $out"; return 1; }
    target=$(demo_target) || return 1
    blender=${target%%:*} pyver=${target##*:}
    ensure_venv "$blender" "$pyver" || return 1
    py="$(venv_dir "$blender" "$pyver")/bin/python"
    say "Blender $blender (bpy module, Python $pyver): building a sample head and baking micro-motion onto it"
    cd "$REPO_ROOT" || return 1
    export PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
    "$py" -m microface_addon sample "$out/sample_head.blend" || { warn "sample failed"; return 1; }
    "$py" -m microface_addon bake "$out/sample_head.blend" \
        --output "$out/sample_head_microface.blend" --report "$out/report.json" || {
        warn "bake failed"
        return 1
    }
    say "done. Result: $out/sample_head_microface.blend (open it in Blender $blender or newer)"
    say "      Bake report: $out/report.json"
}

# --- test: every leg's pure and Blender tests as separate pytest runs, run side by side --------
#
# A leg is one Blender line (its venv).  Each leg runs pytest twice over the same paths:
# `-m pure` (the conftest blocks every Blender module there, so a mis-marked test fails) and
# `-m blender`.  These runs are independent processes, so they share the machine's cores
# (MICROFACE_TEST_JOBS at once; the short 5.0 leg last); each run's output is kept in its own log and
# printed whole when it ends, so interleaved runs stay readable.  A leg passes when none of its runs failed
# and at least one collected a test: pytest's exit 5 ("no tests collected") fails the leg when
# every run of it says so.

JOB_LEG=() JOB_BLENDER=() JOB_PYVER=() JOB_PART=() JOB_PATHS=() JOB_RC=() JOB_SECONDS=()
JOB_LOGS=""

add_job() { # LEG BLENDER PYVER PART PATHS
    JOB_LEG+=("$1") JOB_BLENDER+=("$2") JOB_PYVER+=("$3") JOB_PART+=("$4") JOB_PATHS+=("$5")
    JOB_RC+=("") JOB_SECONDS+=("")
}

job_label() { # JOB -> "bpy 4.2 (Python 3.11), pure tests"
    printf 'bpy %s (Python %s), %s tests' "${JOB_BLENDER[$1]}" "${JOB_PYVER[$1]}" "${JOB_PART[$1]}"
}

# The body of one job (runs in the background, output to its log): venv, then pytest.
# Exit 97 = the venv could not be set up (the reason is in $JOB_LOGS/JOB.setup).
run_job() {
    local j=$1 py
    local -a paths
    read -r -a paths <<<"${JOB_PATHS[$j]}"
    SETUP_ERROR="see messages above"
    if ! ensure_venv "${JOB_BLENDER[$j]}" "${JOB_PYVER[$j]}"; then
        printf '%s\n' "$SETUP_ERROR" >"$JOB_LOGS/$j.setup"
        exit 97
    fi
    py="$(venv_dir "${JOB_BLENDER[$j]}" "${JOB_PYVER[$j]}")/bin/python"
    say "python -m pytest -q -p no:cacheprovider -m ${JOB_PART[$j]} ${paths[*]}"
    cd "$REPO_ROOT" || exit 1
    exec "$py" -m pytest -q -p no:cacheprovider -m "${JOB_PART[$j]}" "${paths[@]}"
}

# Run every job, at most MICROFACE_TEST_JOBS at once, in the order added; fills JOB_RC/JOB_SECONDS.
run_jobs() {
    local max=${MICROFACE_TEST_JOBS:-2} next=0 n=${#JOB_LEG[@]} j pid
    local -a pid_of=() started=()
    [[ $max =~ ^[1-9][0-9]*$ ]] || max=2
    # Ctrl-C or a kill must not leave test processes behind (background jobs ignore SIGINT).
    trap 'for pid in "${pid_of[@]}"; do kill "$pid" 2>/dev/null; done; exit 130' INT TERM
    while :; do
        while ((next < n && ${#pid_of[@]} < max)); do
            say "--- started: $(job_label "$next")"
            (run_job "$next") >"$JOB_LOGS/$next.log" 2>&1 &
            pid_of[next]=$!
            started[next]=$SECONDS
            next=$((next + 1))
        done
        ((${#pid_of[@]})) || break
        if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 403)); then
            wait -n 2>/dev/null # until any job ends
        else
            sleep 1 # bash < 4.3 has no wait -n: poll
        fi
        for j in "${!pid_of[@]}"; do
            pid=${pid_of[$j]}
            kill -0 "$pid" 2>/dev/null && continue
            wait "$pid"
            JOB_RC[j]=$?
            JOB_SECONDS[j]=$((SECONDS - started[j]))
            unset "pid_of[$j]"
            echo
            say "=== $(job_label "$j"): exit ${JOB_RC[$j]} after ${JOB_SECONDS[$j]} s"
            cat "$JOB_LOGS/$j.log"
        done
    done
    trap - INT TERM
}

# The summary line of one leg from its jobs' exit codes and logs; returns 0 if the leg passed.
leg_result() {
    local leg=$1 j rc label="" line summary parts="" failed=0 collected=0 setup=""
    for j in "${!JOB_LEG[@]}"; do
        [[ ${JOB_LEG[$j]} == "$leg" ]] || continue
        label="bpy ${JOB_BLENDER[$j]} (Python ${JOB_PYVER[$j]})"
        rc=${JOB_RC[$j]}
        summary=$(grep -E '(passed|failed|error|no tests ran|skipped|xfailed|deselected)' "$JOB_LOGS/$j.log" |
            tail -n 1 | sed -E 's/^=+ //; s/ =+$//')
        case $rc in
        0) line="${JOB_PART[$j]}: ${summary:-no summary line}" collected=1 ;;
        5) line="${JOB_PART[$j]}: none collected" ;;
        97)
            setup=$(cat "$JOB_LOGS/$j.setup" 2>/dev/null)
            line="${JOB_PART[$j]}: setup failed" failed=1
            ;;
        *) line="${JOB_PART[$j]}: exit $rc (${summary:-no summary line})" failed=1 ;;
        esac
        parts+="${parts:+; }$line"
    done
    if [[ -n $setup ]]; then
        RESULT_LINE="$label: FAIL  setup: $setup"
        return 1
    fi
    if ((failed)); then
        RESULT_LINE="$label: FAIL  pytest FAILED ($parts)"
        return 1
    fi
    if ((!collected)); then
        RESULT_LINE="$label: FAIL  pytest FAILED: exit 5, no tests collected ($parts)"
        return 1
    fi
    RESULT_LINE="$label: PASS  pytest ok ($parts)"
    return 0
}

# The dialogue tests speak real lines with espeak-ng (a Debian/Ubuntu package, no model download).
# Install it when missing and we can (root, or sudo without a password); otherwise say what skips.
ensure_espeak() {
    command -v espeak-ng >/dev/null 2>&1 && return 0
    [[ ${MICROFACE_NO_ESPEAK:-0} == 1 ]] && return 0
    local -a run=()
    if ((EUID != 0)); then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            run=(sudo -n)
        else
            warn "espeak-ng is missing and cannot be installed without root: the dialogue tests will" \
                "skip (install it with: sudo apt-get install espeak-ng)"
            return 0
        fi
    fi
    if command -v apt-get >/dev/null 2>&1; then
        say "installing espeak-ng (real speech for the dialogue tests)"
        if ! { "${run[@]}" apt-get install -y espeak-ng >/dev/null 2>&1 ||
            { "${run[@]}" apt-get update >/dev/null 2>&1 &&
                "${run[@]}" apt-get install -y espeak-ng >/dev/null 2>&1; }; }; then
            warn "apt-get install espeak-ng failed: the dialogue tests will skip"
        fi
    else
        warn "espeak-ng is missing (no apt-get here): install it to run the dialogue tests"
    fi
}

cmd_test() {
    local t failed=0 paths=${MICROFACE_TEST_PATHS:-tests} leg part
    local -a legs=() lines=()
    local tmp
    tmp=$(mktemp -d) || return 1
    JOB_LOGS=$tmp
    ensure_espeak
    for t in "${TARGETS[@]}"; do
        legs+=("${t%%:*}")
    done
    # Both Blender lines' runs first (about a minute or two each on one core), then the short 5.0 leg.
    for part in blender pure; do
        for t in "${TARGETS[@]}"; do
            add_job "${t%%:*}" "${t%%:*}" "${t##*:}" "$part" "$paths"
        done
    done
    # Blender 5.0.x evaluates shape keys from a wrong RNA default (1.0); the bake compensates.
    # Pin that on the real 5.0 with the bake tests (the rest of the suite runs on 4.2 and 5.2).
    if [[ -z ${MICROFACE_TEST_PATHS:-} && ${MICROFACE_SKIP_50:-0} != 1 ]]; then
        add_job 5.0 5.0 3.11 blender "$BAKE_50_TESTS"
        legs+=(5.0)
    fi
    run_jobs
    for leg in "${legs[@]}"; do # keep going: a failure on one Blender must not hide the other's
        leg_result "$leg" || failed=1
        lines+=("$RESULT_LINE")
    done
    rm -rf "$tmp"
    echo
    say "=== summary"
    printf '[microface] %s\n' "${lines[@]}"
    return "$failed"
}

usage() {
    sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd=${1:-}
    shift || true
    case $cmd in
    demo) cmd_demo "$@" ;;
    test) cmd_test "$@" ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        return 2
        ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
    exit $?
fi
