import json
zh = "语音识别是人工智能的一个重要方向，它让机器能够听懂人类的语言。" * 12   # > 256 bytes in one \p{L}+ piece: heap merge path
mixed = "The model said: <|startoftranscript|><|en|><|transcribe|><|en|><|notimestamps|><|wo_itn|>hello<|endoftext|><|im_start|>user\n<audio>a.wav</audio><|extra_7|>[[[AUDIO:modality]]]<|im_end|>"
cases = [
 ("ws_long_spaces", " " * 3000 + "x", "all"),
 ("ws_long_spaces_end", "end" + " " * 2500, "all"),
 ("ws_long_mixed", ("\t \u3000 \u00a0" * 400) + "word\n\n", "all"),
 ("ws_newline_runs", "a\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\nb \n \n\t\n", "all"),
 ("ws_unicode_spaces", "a\u0085b\u2028c\u2029d\u1680e\u2003f\u202fg\u205fh\u3000i\u200bj\ufeffk\u180el", "all"),
 ("crlf", "first line\r\nsecond line\r\n\r\nthird\r\n", "all"),
 ("cr_only", "one\rtwo\r\rthree\r", "all"),
 ("mixed_all", mixed, "all"),
 ("mixed_audio", mixed, "audio"),
 ("mixed_none", mixed, "none"),
 ("timestamps_all", "<|0.00|>word<|2.33|> <|3.26|><|30.00|><|30.01|><|0.005|>", "all"),
 ("timestamps_none", "<|0.00|>word<|2.33|> <|3.26|><|30.00|>", "none"),
 ("midi", "<|pitch|><|midi_pitch_0|><|midi_pitch_127|><|midi_pitch_128|><|velocity|><|midi_velocity_64|>", "audio"),
 ("special_partial", "<|endoftext <|<|endoftext|>|> [[[[AUDIO:modality]]]] <audio</audio>> <|im_end|", "all"),
 ("special_adjacent", "<|endoftext|><|endoftext|><|endoftext|>", "all"),
 ("emoji_zwj", "family 👨‍👩‍👧‍👦 and 🏳️‍🌈 flags 🇩🇪🇯🇵 skin 👍🏽 keycap 1️⃣ end", "all"),
 ("emoji_only", "😀😃😄😁😆😅🤣😂🙂🙃", "all"),
 ("long_s_contraction", "it'ſ we'LL they'Re I'D x'M", "all"),
 ("zh_long_piece", zh, "all"),
 ("ja_kana_combining", "か\u3099き\u3099 ハ\u309aヒ\u309a ｶﾞｷﾞ", "all"),
 ("hangul_jamo", "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af 한국어", "all"),
 ("thai_devanagari", "ภาษาไทย हिन्दी भाषा", "all"),
 ("other_digits", "٣٤٥ ३४५ ⅫⅣ ½ x² 𝟘𝟙", "all"),
 ("control_chars", "a\x02b\x01c\x1cd\x1fe\x7ff", "all"),
 ("nfc_singletons", "\u212b \u2126 \u212a e\u0301\u0323 \u0340", "all"),
 ("code_block", "for (int i = 0; i < n; i++) {\n\t\tx[i] += y[i] * 2;\n    }\n", "all"),
 ("url_email", "See https://github.com/QwenLM/Qwen-Audio?tab=readme#quickstart or mail a.b@c.de!!!", "all"),
 ("punct_runs", "!!!??? ... --- ___ *** ### \"\"\" ''' ;;; :::\n\n", "all"),
 ("apostrophes", "'s 's 'S' ''ll ' 't'", "all"),
 ("single_letters", "a b c ä ö ü 中", "all"),
]
for name, text, mode in cases:
    print(json.dumps({"name": name, "text": text, "special": mode}, ensure_ascii=False))
