# `vsr models` lists every installed model with its scale, parameter count
# and cost, and says clearly when a model cannot be loaded.
source "$(dirname "$0")/cli_lib.sh"

# every NAME.param with a NAME.bin in the models directory is listed
installed=()
for p in "$VSR_MODELS_DIR"/*.param; do
    [ -f "$p" ] && [ -f "${p%.param}.bin" ] && installed+=("$(basename "$p" .param)")
done
if [ "${#installed[@]}" -eq 0 ]; then
    echo "FAIL: no models in $VSR_MODELS_DIR (run scripts/fetch-models.sh)" >&2
    exit 1
fi

expect 0 "Models in $VSR_MODELS_DIR" "$VSR_BIN" models --models-dir "$VSR_MODELS_DIR"
expect 0 "NAME +SCALE +PARAMETERS +MFLOP/PIXEL" "$VSR_BIN" models --models-dir "$VSR_MODELS_DIR"
LIST=$OUT
for name in "${installed[@]}"; do
    checks=$((checks + 1))
    grep -Eq "^$name +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]+$" <<<"$LIST" || fail "model $name not listed right:"$'\n'"$LIST"
done

# the cost column agrees with DESIGN.md for the default model's x4:
# about 1.165 MFLOP per input pixel for the convolutions (up to 10% for the rest)
if [ -f "$VSR_MODELS_DIR/realesr-animevideov3-x4.param" ]; then
    row=$(grep -E '^realesr-animevideov3-x4 ' <<<"$LIST")
    checks=$((checks + 1))
    awk '{ exit !($2 == 4 && $4 >= 1.16 && $4 <= 1.3) }' <<<"$row" || fail "animevideov3-x4 row: $row"
    for s in 2 3; do
        if [ -f "$VSR_MODELS_DIR/realesr-animevideov3-x$s.param" ]; then
            checks=$((checks + 1))
            grep -Eq "^realesr-animevideov3-x$s +$s " <<<"$LIST" || fail "animevideov3-x$s scale:"$'\n'"$LIST"
        fi
    done
fi

# VSR_MODELS_DIR is the default directory
expect 0 "Models in $VSR_MODELS_DIR" env VSR_MODELS_DIR="$VSR_MODELS_DIR" "$VSR_BIN" models

# an empty directory, a missing one
mkdir -p "$WORK/empty"
expect 0 "No models installed in $WORK/empty" "$VSR_BIN" models --models-dir "$WORK/empty"
expect 1 "cannot open models directory $WORK/missing" "$VSR_BIN" models --models-dir "$WORK/missing"

# a broken model: listed, reported by name, exit 1; the good one still listed
mkdir -p "$WORK/mixed"
first=${installed[0]}
cp "$VSR_MODELS_DIR/$first.param" "$VSR_MODELS_DIR/$first.bin" "$WORK/mixed/"
cp "$VSR_MODELS_DIR/$first.param" "$WORK/mixed/broken.param"
head -c 1000 "$VSR_MODELS_DIR/$first.bin" >"$WORK/mixed/broken.bin"
expect 1 "broken\.(bin|param)" "$VSR_BIN" models --models-dir "$WORK/mixed"
check "good model listed next to a broken one" grep -Eq "^$first +[0-9]" <<<"$OUT"
check "failure count reported" grep -q "1 of 2 models could not be loaded" <<<"$OUT"

finish
