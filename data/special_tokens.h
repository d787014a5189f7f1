/* data/special_tokens: the fixed ids of the Qwen-Audio special tokens (spec appendix A). The
 * tokenizer builds its table in the same order (data/tokenizer_special.c); a unit test checks that
 * every constant here maps to the surface string named in its comment. */
#ifndef QA_DATA_SPECIAL_TOKENS_H
#define QA_DATA_SPECIAL_TOKENS_H

#define QA_TOK_N_BPE 151643          /* ordinary BPE ranks 0..151642 */
#define QA_TOK_SPECIAL_BASE 151643   /* first special id */
#define QA_TOK_N_SPECIAL 3522        /* 151643..155164 */
#define QA_TOK_VOCAB_SIZE 155165     /* tokenizer vocabulary (the model pads its embedding to 155947) */

#define QA_TOK_ENDOFTEXT 151643      /* <|endoftext|>: eod, pad, eos */
#define QA_TOK_IM_START 151644       /* <|im_start|> */
#define QA_TOK_IM_END 151645         /* <|im_end|> */
#define QA_TOK_EXTRA_BASE 151646     /* <|extra_0|> .. <|extra_204|> */
#define QA_TOK_N_EXTRA 205
#define QA_TOK_AUDIO_PAD 151851      /* [[[AUDIO:modality]]] */
#define QA_TOK_AUDIO_LIST_BASE 151851 /* first id of the audio list AUDIO_ST */
#define QA_TOK_STARTOFTRANSCRIPT 151852 /* <|startoftranscript|> */
#define QA_TOK_STARTOFANALYSIS 151853   /* <|startofanalysis|> */
#define QA_TOK_TRANSLATE 151854         /* <|translate|> */
#define QA_TOK_TRANSCRIBE 151855        /* <|transcribe|> */
#define QA_TOK_CAPTION 151856           /* <|caption|> */
#define QA_TOK_KEYWORD 151857           /* <|keyword|> */
#define QA_TOK_UNKNOWN 151858           /* <|unknown|> (no speech / unknown language) */
#define QA_TOK_LANG_EN 151859           /* <|en|> */
#define QA_TOK_LANG_ZH 151860           /* <|zh|> */
#define QA_TOK_LANG_DE 151861           /* <|de|> */
#define QA_TOK_LANG_ES 151862           /* <|es|> */
#define QA_TOK_LANG_KO 151863           /* <|ko|> */
#define QA_TOK_LANG_FR 151864           /* <|fr|> */
#define QA_TOK_LANG_JA 151865           /* <|ja|> */
#define QA_TOK_LANG_IT 151866           /* <|it|> */
#define QA_TOK_LANG_ZH_TR 151867        /* <|zh_tr|> */
#define QA_TOK_NOTIMESTAMPS 151868      /* <|notimestamps|> */
#define QA_TOK_SIL 151869               /* <|sil|> */
#define QA_TOK_TIMESTAMPS 151870        /* <|timestamps|> */
#define QA_TOK_TIMESTAMP_BASE 151871    /* <|0.00|>, id = base + round(100 t) */
#define QA_TOK_N_TIMESTAMPS 3001        /* <|0.00|> .. <|30.00|> */
#define QA_TOK_TIMESTAMP_LAST 154871    /* <|30.00|> */
#define QA_TOK_CAPTION_AUDIOCAPS 154872 /* <|caption_audiocaps|> */
#define QA_TOK_CAPTION_CLOTHO 154873    /* <|caption_clotho|> */
#define QA_TOK_AUDIOSET_ONTOLOGY 154874 /* <|audioset_ontology|> */
#define QA_TOK_CAPTION_PLAIN 154875     /* <|caption_plain|> */
#define QA_TOK_ITN 154876               /* <|itn|> */
#define QA_TOK_WO_ITN 154877            /* <|wo_itn|> */
#define QA_TOK_STARTOFENTITYVALUE 154878 /* <|startofentityvalue|> */
#define QA_TOK_ENDOFENTITYVALUE 154879   /* <|endofentityvalue|> */
#define QA_TOK_STARTOFENTITYTYPE 154880  /* <|startofentitytype|> */
#define QA_TOK_ENDOFENTITYTYPE 154881    /* <|endofentitytype|> */
#define QA_TOK_NAMED_ENTITY_RECOGNITION 154882 /* <|named_entity_recognition|> */
#define QA_TOK_AUDIO_GROUNDING 154883   /* <|audio_grounding|> */
#define QA_TOK_STARTOFWORD 154884       /* <|startofword|> */
#define QA_TOK_ENDOFWORD 154885         /* <|endofword|> */
#define QA_TOK_DELIM 154886             /* <|delim|> */
#define QA_TOK_EMOTION_RECOGNITION 154887 /* <|emotion_recognition|> */
#define QA_TOK_MUSIC_DESCRIPTION 154888 /* <|music_description|> */
#define QA_TOK_NOTE_ANALYSIS 154889     /* <|note_analysis|> */
#define QA_TOK_PITCH 154890             /* <|pitch|> */
#define QA_TOK_MIDI_PITCH_BASE 154891   /* <|midi_pitch_0|> .. <|midi_pitch_127|> */
#define QA_TOK_VELOCITY 155019          /* <|velocity|> */
#define QA_TOK_MIDI_VELOCITY_BASE 155020 /* <|midi_velocity_0|> .. <|midi_velocity_127|> */
#define QA_TOK_SONIC 155148             /* <|sonic|> */
#define QA_TOK_INSTRUMENT 155149        /* <|instrument|> */
#define QA_TOK_SPEAKER_META 155150      /* <|speaker_meta|> */
#define QA_TOK_SONG_META 155151         /* <|song_meta|> */
#define QA_TOK_QUESTION 155152          /* <|question|> */
#define QA_TOK_ANSWER 155153            /* <|answer|> */
#define QA_TOK_CHOICE 155154            /* <|choice|> */
#define QA_TOK_SCENE 155155             /* <|scene|> */
#define QA_TOK_EVENT 155156             /* <|event|> */
#define QA_TOK_VOCAL_CLASSIFICATION 155157 /* <|vocal_classification|> */
#define QA_TOK_SPEECH_UNDERSTANDING 155158 /* <|speech_understanding|> */
#define QA_TOK_SCENARIO 155159          /* <|scenario|> */
#define QA_TOK_ACTION 155160            /* <|action|> */
#define QA_TOK_ENTITIES 155161          /* <|entities|> */
#define QA_TOK_SPEECH_EDIT 155162       /* <|speech_edit|> */
#define QA_TOK_AUDIO_START 155163       /* <audio> */
#define QA_TOK_AUDIO_END 155164         /* </audio> */

#endif
