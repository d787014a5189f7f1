// data/spm_shim: sentencepiece behind the C interface of data/spm_shim.h. The only C++ file in the
// tree. Every entry point catches all exceptions (std::bad_alloc and anything sentencepiece throws)
// and turns failures into a qa_status with a message; nothing C++ crosses the boundary.
#include "data/spm_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

struct qa_spm {
    sentencepiece::SentencePieceProcessor proc;
};

extern "C" {

qa_status qa_spm_load(const char *path, qa_spm **out)
{
    *out = nullptr;
    try {
        qa_spm *m = new qa_spm;
        auto st = m->proc.Load(path);
        if (!st.ok()) {
            delete m;
            qa_status code = st.code() == sentencepiece::util::StatusCode::kNotFound ? QA_ERR_IO : QA_ERR_FORMAT;
            return qa_error(code, "cannot load sentencepiece model %s: %s", path, st.ToString().c_str());
        }
        *out = m;
        return QA_OK;
    } catch (const std::bad_alloc &) {
        return qa_error(QA_ERR_NOMEM, "out of memory loading sentencepiece model %s", path);
    } catch (const std::exception &e) {
        return qa_error(QA_ERR_FORMAT, "cannot load sentencepiece model %s: %s", path, e.what());
    } catch (...) {
        return qa_error(QA_ERR_FORMAT, "cannot load sentencepiece model %s: unknown error", path);
    }
}

void qa_spm_free(qa_spm *m)
{
    delete m;
}

qa_status qa_spm_encode(const qa_spm *m, const char *text, size_t len, int32_t **ids, size_t *n, size_t *cap)
{
    try {
        std::vector<int> v;
        auto st = m->proc.Encode(std::string(text, len), &v);
        if (!st.ok()) return qa_error(QA_ERR_ARG, "sentencepiece encode failed: %s", st.ToString().c_str());
        if (*n + v.size() > *cap) {
            size_t nc = *cap ? *cap : 64;
            while (nc < *n + v.size()) nc *= 2;
            int32_t *p = static_cast<int32_t *>(std::realloc(*ids, nc * sizeof(int32_t)));
            if (!p) return qa_error(QA_ERR_NOMEM, "out of memory growing an id array to %zu ids", nc);
            *ids = p;
            *cap = nc;
        }
        for (int id : v) (*ids)[(*n)++] = id;
        return QA_OK;
    } catch (const std::bad_alloc &) {
        return qa_error(QA_ERR_NOMEM, "out of memory in sentencepiece encode");
    } catch (const std::exception &e) {
        return qa_error(QA_ERR_INTERNAL, "sentencepiece encode failed: %s", e.what());
    } catch (...) {
        return qa_error(QA_ERR_INTERNAL, "sentencepiece encode failed: unknown error");
    }
}

qa_status qa_spm_decode(const qa_spm *m, const int32_t *ids, size_t n, char **text, size_t *len)
{
    *text = nullptr;
    try {
        std::vector<int> v(ids, ids + n);
        std::string s;
        auto st = m->proc.Decode(v, &s);
        if (!st.ok()) return qa_error(QA_ERR_ARG, "sentencepiece decode failed: %s", st.ToString().c_str());
        char *o = static_cast<char *>(std::malloc(s.size() + 1));
        if (!o) return qa_error(QA_ERR_NOMEM, "out of memory decoding %zu ids", n);
        std::memcpy(o, s.data(), s.size());
        o[s.size()] = 0;
        *text = o;
        *len = s.size();
        return QA_OK;
    } catch (const std::bad_alloc &) {
        return qa_error(QA_ERR_NOMEM, "out of memory in sentencepiece decode");
    } catch (const std::exception &e) {
        return qa_error(QA_ERR_INTERNAL, "sentencepiece decode failed: %s", e.what());
    } catch (...) {
        return qa_error(QA_ERR_INTERNAL, "sentencepiece decode failed: unknown error");
    }
}

size_t qa_spm_vocab_size(const qa_spm *m)
{
    try {
        int n = m->proc.GetPieceSize();
        return n > 0 ? static_cast<size_t>(n) : 0;
    } catch (...) {
        return 0;
    }
}

int32_t qa_spm_piece_id(const qa_spm *m, const char *piece, size_t len)
{
    try {
        std::string p(piece, len);
        int id = m->proc.PieceToId(p);
        // PieceToId answers unk_id for unknown pieces: confirm the round trip.
        if (id < 0 || id >= m->proc.GetPieceSize() || m->proc.IdToPiece(id) != p) return -1;
        return id;
    } catch (...) {
        return -1;
    }
}

const char *qa_spm_id_piece(const qa_spm *m, int32_t id, size_t *len)
{
    try {
        if (id < 0 || id >= m->proc.GetPieceSize()) return nullptr;
        const std::string &s = m->proc.IdToPiece(id);
        *len = s.size();
        return s.c_str();
    } catch (...) {
        return nullptr;
    }
}

int qa_spm_is_control(const qa_spm *m, int32_t id)
{
    try {
        return id >= 0 && id < m->proc.GetPieceSize() && m->proc.IsControl(id);
    } catch (...) {
        return 0;
    }
}

qa_status qa_spm_train(const char *input, const char *prefix, int vocab_size, const char *model_type,
                       double character_coverage, const char *const *user_symbols, size_t n_user)
{
    try {
        std::unordered_map<std::string, std::string> kw;
        kw["input"] = input;
        kw["model_prefix"] = prefix;
        kw["vocab_size"] = std::to_string(vocab_size);
        kw["model_type"] = model_type ? model_type : "unigram";
        if (character_coverage > 0) kw["character_coverage"] = std::to_string(character_coverage);
        // Small corpora cannot always fill the vocabulary: stop short instead of failing.
        kw["hard_vocab_limit"] = "false";
        kw["minloglevel"] = "2";
        // Keep digits apart like the Qwen regex does, and fall back to bytes instead of <unk>.
        kw["split_digits"] = "true";
        kw["byte_fallback"] = "true";
        if (n_user) {
            std::string u;
            for (size_t i = 0; i < n_user; i++) {
                if (i) u += ',';
                u += user_symbols[i];
            }
            kw["user_defined_symbols"] = u;
        }
        auto st = sentencepiece::SentencePieceTrainer::Train(kw);
        if (!st.ok())
            return qa_error(QA_ERR_ARG, "sentencepiece training on %s failed: %s", input, st.ToString().c_str());
        return QA_OK;
    } catch (const std::bad_alloc &) {
        return qa_error(QA_ERR_NOMEM, "out of memory training sentencepiece on %s", input);
    } catch (const std::exception &e) {
        return qa_error(QA_ERR_INTERNAL, "sentencepiece training on %s failed: %s", input, e.what());
    } catch (...) {
        return qa_error(QA_ERR_INTERNAL, "sentencepiece training on %s failed: unknown error", input);
    }
}

} // extern "C"
