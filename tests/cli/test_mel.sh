# qaudio mel: writes (80, mel_len) float32 .npy, --info, --full/--frames, the short-clip policy,
# and clear errors (non-zero exit, file named) for bad input.
. tests/cli/lib.sh
D=tests/data/mel
npy_shape() { # prints the shape tuple of an .npy header, e.g. "(80, 200)"
  head -c 128 "$1" | tr -d '\0' | grep -ao "'shape': ([0-9, ]*)" | sed "s/'shape': //"
}
expect_exit mel_tone 0 "$QAUDIO" mel "$D/tone440_2s.wav" -o "$TMP/tone.npy"
[ "$(npy_shape "$TMP/tone.npy")" = "(80, 200)" ] && pass mel_tone_shape || fail mel_tone_shape "shape $(npy_shape "$TMP/tone.npy")"
head -c 64 "$TMP/tone.npy" | grep -aq "'descr': '<f4'" && pass mel_tone_f4 || fail mel_tone_f4 "not float32"
# the data of the written file equals the golden to 1e-4 (bytes after the 128-byte header)
if cmp -s <(tail -c 64000 "$TMP/tone.npy" | od -An -v -tf4 -w4 | awk '{printf "%.4f\n", $1}') \
          <(tail -c 64000 "$D/tone440_2s.npy" | od -An -v -tf4 -w4 | awk '{printf "%.4f\n", $1}'); then
  pass mel_tone_values
else
  # rounding to 4 decimals may flip on a boundary: fall back to a tolerance check
  paste <(tail -c 64000 "$TMP/tone.npy" | od -An -v -tf4 -w4) <(tail -c 64000 "$D/tone440_2s.npy" | od -An -v -tf4 -w4) |
    awk '{d=$1-$2; if (d<0) d=-d; if (d>m) m=d} END {exit !(m <= 1e-4)}' && pass mel_tone_values || fail mel_tone_values "differs from golden"
fi
expect_exit mel_full 0 "$QAUDIO" mel "$D/noise_0.5s.wav" --full -o "$TMP/full.npy"
[ "$(npy_shape "$TMP/full.npy")" = "(80, 3000)" ] && pass mel_full_shape || fail mel_full_shape "$(npy_shape "$TMP/full.npy")"
expect_exit mel_frames 0 "$QAUDIO" mel "$D/noise_0.5s.wav" --frames 52 -o "$TMP/f52.npy"
[ "$(npy_shape "$TMP/f52.npy")" = "(80, 52)" ] && pass mel_frames_shape || fail mel_frames_shape "$(npy_shape "$TMP/f52.npy")"
expect_exit mel_frames_bad 2 "$QAUDIO" mel "$D/noise_0.5s.wav" --frames 3001 -o "$TMP/x.npy"
expect_exit mel_full_and_frames 2 "$QAUDIO" mel "$D/noise_0.5s.wav" --full --frames 3 -o "$TMP/x.npy"

expect_exit info 0 "$QAUDIO" mel --info "$D/stereo_0.8s.wav"
expect_grep info_mel_len '^mel_len: 80$' "$TMP/out"
expect_grep info_channels '^source_channels: 2$' "$TMP/out"
expect_grep info_tokens '^audio_tokens: 20$' "$TMP/out"
expect_grep info_span '^span_tokens: 22$' "$TMP/out"
expect_grep info_duration '^duration: 0.8000 s$' "$TMP/out"
expect_exit info_24k 0 "$QAUDIO" mel --info "$D/rate24k_0.6s.wav"
expect_grep info_24k_rate '^source_rate: 24000 Hz$' "$TMP/out"
expect_grep info_24k_samples '^samples_16k: 9600$' "$TMP/out"
expect_exit formats 0 "$QAUDIO" mel --formats
expect_grep formats_mp3 '^mp3: (yes|NO)' "$TMP/out"

# short clips: keep (reference features), pad (to 480), reject
expect_exit short_keep 0 "$QAUDIO" mel "$D/short_250.wav" -o "$TMP/s.npy"
[ "$(npy_shape "$TMP/s.npy")" = "(80, 1)" ] && pass short_keep_shape || fail short_keep_shape "$(npy_shape "$TMP/s.npy")"
expect_exit short_pad 0 "$QAUDIO" mel --short pad "$D/short_250.wav" -o "$TMP/p.npy"
[ "$(npy_shape "$TMP/p.npy")" = "(80, 3)" ] && pass short_pad_shape || fail short_pad_shape "$(npy_shape "$TMP/p.npy")"
expect_exit short_reject 1 "$QAUDIO" mel --short reject "$D/short_250.wav" -o "$TMP/r.npy"
expect_grep short_reject_msg 'short_250.wav.*shorter than 480 samples' "$TMP/err"
[ ! -e "$TMP/r.npy" ] && pass short_reject_no_output || fail short_reject_no_output "output written"
expect_exit short_info 0 "$QAUDIO" mel --info "$D/short_250.wav"
expect_grep short_info_msg 'encoder: too short' "$TMP/out"
# a 100-sample clip (under one hop): no frame to write, but --info describes it
le16() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $((($1 >> 8) & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }
mkwav() { # mkwav SAMPLES: 16 kHz mono 16-bit WAV of random samples on stdout
  local b=$(($1 * 2))
  printf 'RIFF'; le32 $((36 + b)); printf 'WAVEfmt '; le32 16; le16 1; le16 1; le32 16000; le32 32000
  le16 2; le16 16; printf 'data'; le32 $b; head -c $b /dev/urandom
}
mkwav 100 > "$TMP/tiny.wav"
expect_exit tiny_keep 1 "$QAUDIO" mel "$TMP/tiny.wav" -o "$TMP/t.npy"
expect_grep tiny_keep_msg 'tiny.wav: 100 samples.*shorter than one' "$TMP/err"
expect_exit tiny_info 0 "$QAUDIO" mel --info "$TMP/tiny.wav"
expect_grep tiny_info_mel_len '^mel_len: 0$' "$TMP/out"
expect_exit tiny_pad 0 "$QAUDIO" mel --short pad "$TMP/tiny.wav" -o "$TMP/t.npy"
[ "$(npy_shape "$TMP/t.npy")" = "(80, 3)" ] && pass tiny_pad_shape || fail tiny_pad_shape "$(npy_shape "$TMP/t.npy")"
mkdir -p "$TMP/dir.wav"
expect_exit directory 1 "$QAUDIO" mel "$TMP/dir.wav" -o "$TMP/o.npy"
expect_grep directory_msg 'dir.wav: it is a directory' "$TMP/err"
expect_exit short_bad_policy 2 "$QAUDIO" mel --short maybe "$D/short_250.wav" -o "$TMP/r.npy"

# bad input: clear message naming the file, exit 1, no output
expect_exit missing 1 "$QAUDIO" mel "$TMP/nope.wav" -o "$TMP/o.npy"
expect_grep missing_msg 'nope.wav' "$TMP/err"
: > "$TMP/empty.wav"
expect_exit empty 1 "$QAUDIO" mel "$TMP/empty.wav" -o "$TMP/o.npy"
expect_grep empty_msg 'empty.wav.*empty' "$TMP/err"
head -c 5000 "$D/tone440_2s.wav" > "$TMP/cut.wav"
expect_exit truncated 1 "$QAUDIO" mel "$TMP/cut.wav" -o "$TMP/o.npy"
expect_grep truncated_msg 'cut.wav: truncated' "$TMP/err"
echo "not audio" > "$TMP/text.flac"
expect_exit garbage 1 "$QAUDIO" mel "$TMP/text.flac" -o "$TMP/o.npy"
expect_grep garbage_msg 'text.flac: cannot decode' "$TMP/err"
[ ! -e "$TMP/o.npy" ] && pass bad_no_output || fail bad_no_output "output written"
expect_exit no_output_flag 2 "$QAUDIO" mel "$D/tone440_2s.wav"
expect_exit unknown_flag 2 "$QAUDIO" mel --frobnicate "$D/tone440_2s.wav"
expect_exit help 0 "$QAUDIO" mel --help
finish
