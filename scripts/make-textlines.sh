#!/usr/bin/env bash
# Renders the text-line images of testdata/quant/textlines (checked in; this script documents
# how they were made): short lines in the fonts Debian ships (DejaVu, Liberation, Nimbus, Droid
# Sans Fallback for Chinese), dark on light backgrounds of a few tones, some with noise or blur,
# as a text detector's crops look. The int8 accuracy test reads them as PP-OCRv4 rec inputs.
# Needs ImageMagick (apt-get install imagemagick).
set -euo pipefail
out=${1:-"$(dirname "$0")/../testdata/quant/textlines"}
mkdir -p "$out"
i=0
line() { # font, points, fg, bg, extra convert options, text
  local f=$1 pt=$2 fg=$3 bg=$4 extra=$5 text=$6
  # shellcheck disable=SC2086
  convert -background "$bg" -fill "$fg" -font "$f" -pointsize "$pt" label:"$text" \
    -bordercolor "$bg" -border 10x6 $extra -colorspace Gray -depth 8 -strip \
    "$out/$(printf 'line%02d' "$i").png"
  i=$((i + 1))
}
line DejaVu-Sans 30 black white "" "onnxc compiles models"
line DejaVu-Serif 34 '#202020' '#f4efe2' "" "Invoice No. 20461"
line Liberation-Mono 28 '#101010' '#e8e8e8' "-blur 0x0.6" "TOTAL: 1,284.50 EUR"
line Nimbus-Sans-Bold 36 '#1a1a40' white "" "Release 2026.12"
line DejaVu-Sans-Bold 26 black '#fafafa' "-attenuate 0.4 +noise Gaussian" "Opening hours 9-17"
line Liberation-Serif-Italic 34 '#303030' '#fffbe8' "" "quick brown fox"
line Droid-Sans-Fallback 34 black white "" "深度学习模型编译器"
line Droid-Sans-Fallback 30 '#222222' '#eeeeee' "-blur 0x0.5" "文字识别结果正确"
line URW-Gothic-Book 32 black '#f0f0f0' "" "Parking A-17"
line DejaVu-Sans-Mono 28 '#000000' '#dcdcdc' "-attenuate 0.3 +noise Gaussian" "id=7f3a-91c2"
line Nimbus-Roman-Regular 38 '#101010' white "" "Chapter Seven"
line Liberation-Sans 30 '#2a2a2a' '#f7f7f7' "-blur 0x0.8" "Tel +49 30 1234567"
