/*
 * info.c — `mw info`: what a GGUF model is (architecture, name, hyperparameters), what it is
 * made of (tensor count, totals per tensor type, weight bytes; --tensors lists every tensor) and
 * what a session of -c CTX tokens would need in memory. --json prints one JSON object instead.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { N_TYPE_SLOTS = 64 };   /* ggml type ids are small; larger ids are counted as "other" */

typedef struct type_total {
    int32_t count;
    uint64_t bytes;
} type_total;

static const char *type_name(int32_t type)
{
    const char *n = mw_type_name(type);
    return n ? n : "unknown";
}

/* ne without trailing 1s joined by sep: "64, 512" or "64 x 512" */
static const char *shape_str(char *buf, size_t cap, const int64_t ne[4], const char *sep)
{
    int dims = 4;
    while (dims > 1 && ne[dims - 1] == 1)
        dims--;
    size_t k = 0;
    buf[0] = '\0';
    for (int d = 0; d < dims && k < cap; d++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%lld", d ? sep : "", (long long)ne[d]);
    return buf;
}

/* Text from the model file (names, architecture) for the terminal: control characters (C0,
 * DEL, and C1 as UTF-8 \xc2\x80..\xc2\x9f) and backslashes are written as \xNN / \\, so a
 * crafted general.name cannot send escape sequences. Other UTF-8 passes through. Returns the
 * text written, in buf (cap bytes, truncated if longer). */
static const char *safe_text(char *buf, size_t cap, const char *s)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && k + 9 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
            k += (size_t)snprintf(buf + k, cap - k, "\\x%02x", *p);
            if (*p == 0xc2)
                k += (size_t)snprintf(buf + k, cap - k, "\\x%02x", *++p);
        } else if (*p == '\\') {
            buf[k++] = '\\';
            buf[k++] = '\\';
        } else {
            buf[k++] = (char)*p;
        }
    }
    buf[k] = '\0';
    return buf;
}

static double mib(uint64_t bytes) { return (double)bytes / (1024.0 * 1024.0); }

int mw_cmd_info(const mw_cli_opts *o)
{
    mw_model_info mi;
    mw_model *model = cli_open_model(o, &mi);
    if (!model)
        return 1;

    type_total totals[N_TYPE_SLOTS + 1];   /* last slot: other */
    memset(totals, 0, sizeof(totals));
    int32_t n_tensors = mw_model_tensor_count(model);
    for (int32_t i = 0; i < n_tensors; i++) {
        const char *name;
        int32_t type;
        int64_t ne[4];
        uint64_t bytes;
        mw_status st = mw_model_tensor_info(model, i, &name, &type, ne, &bytes);
        if (st != MW_OK) {
            mw_model_free(model);
            return cli_engine_error(st, "cannot read tensor info");
        }
        type_total *t = &totals[type >= 0 && type < N_TYPE_SLOTS ? type : N_TYPE_SLOTS];
        t->count++;
        t->bytes += bytes;
    }
    mw_session_params sp = mw_session_params_default();
    sp.kv_type = o->kv_type;
    /* the context a session gets, the experts' cache counted (as cli_open_session) */
    const int32_t n_ctx = o->n_ctx ? o->n_ctx : mw_session_n_ctx_fit(&mi, &sp, cli_memory_limit(), cli_expert_cache_bytes(o));
    uint64_t session_bytes = mw_session_memory_needed_kv(&mi, n_ctx, 0, o->kv_type);
    FILE *f = stdout;

    if (o->json) {
        fputs("{\"file\":", f);
        cli_json_string(f, o->model);
        fputs(",\"architecture\":", f);
        cli_json_string(f, mi.arch);
        fputs(",\"name\":", f);
        cli_json_string(f, mi.name);
        fprintf(f, ",\"n_vocab\":%d,\"n_embd\":%d,\"n_layer\":%d,\"n_head\":%d,\"n_head_kv\":%d,"
                   "\"head_dim\":%d,\"n_ff\":%d,\"n_expert\":%d,\"n_expert_used\":%d,"
                   "\"n_ctx_train\":%d,\"sliding_window\":%d,\"rope_theta\":%.9g,"
                   "\"norm_eps\":%.9g,\"bos_id\":%d,\"eos_id\":%d,\"unk_id\":%d,",
                (int)mi.n_vocab, (int)mi.n_embd, (int)mi.n_layer, (int)mi.n_head,
                (int)mi.n_head_kv, (int)mi.head_dim, (int)mi.n_ff, (int)mi.n_expert,
                (int)mi.n_expert_used, (int)mi.n_ctx_train, (int)mi.sliding_window,
                (double)mi.rope_theta, (double)mi.norm_eps, (int)mi.bos_id, (int)mi.eos_id,
                (int)mi.unk_id);
        fputs("\"weight_type\":", f);
        cli_json_string(f, type_name(mi.weight_type));
        fprintf(f, ",\"n_params\":%llu,\"weight_bytes\":%llu,\"expert_bytes\":%llu,"
                   "\"expert_max_bytes\":%llu,\"tensor_count\":%d,\"types\":{",
                (unsigned long long)mi.n_params, (unsigned long long)mi.weight_bytes,
                (unsigned long long)mi.expert_bytes, (unsigned long long)mi.expert_max_bytes,
                (int)n_tensors);
        int first = 1;
        for (int t = 0; t <= N_TYPE_SLOTS; t++) {
            if (!totals[t].count)
                continue;
            fputs(first ? "" : ",", f);
            cli_json_string(f, t < N_TYPE_SLOTS ? type_name(t) : "other");
            fprintf(f, ":{\"count\":%d,\"bytes\":%llu}", (int)totals[t].count,
                    (unsigned long long)totals[t].bytes);
            first = 0;
        }
        /* kv_type only when not the default (older readers of this output know no kv_type) */
        fprintf(f, "},\"n_ctx\":%d%s,\"session_bytes\":%llu", (int)n_ctx,
                o->kv_type == MW_KV_F16 ? ",\"kv_type\":\"f16\"" : "", (unsigned long long)session_bytes);
        if (o->tensors) {
            fputs(",\"tensors\":[", f);
            for (int32_t i = 0; i < n_tensors; i++) {
                const char *name;
                int32_t type;
                int64_t ne[4];
                uint64_t bytes;
                mw_model_tensor_info(model, i, &name, &type, ne, &bytes);
                fputs(i ? ",{\"name\":" : "{\"name\":", f);
                cli_json_string(f, name);
                fputs(",\"type\":", f);
                cli_json_string(f, type_name(type));
                char shape[128];
                fprintf(f, ",\"shape\":[%s],\"bytes\":%llu}", shape_str(shape, sizeof(shape), ne, ","),
                        (unsigned long long)bytes);
            }
            fputc(']', f);
        }
        fputs("}\n", f);
    } else {
        char text[4 * 256 + 16];
        fprintf(f, "file:            %s\n", o->model);
        fprintf(f, "architecture:    %s\n", safe_text(text, sizeof text, mi.arch));
        fprintf(f, "name:            %s\n", mi.name[0] ? safe_text(text, sizeof text, mi.name) : "(none)");
        fprintf(f, "parameters:      %llu\n", (unsigned long long)mi.n_params);
        fprintf(f, "n_vocab:         %d (bos %d, eos %d, unk %d)\n", (int)mi.n_vocab,
                (int)mi.bos_id, (int)mi.eos_id, (int)mi.unk_id);
        fprintf(f, "n_embd:          %d\n", (int)mi.n_embd);
        fprintf(f, "n_layer:         %d\n", (int)mi.n_layer);
        fprintf(f, "n_head:          %d (kv %d, head_dim %d)\n", (int)mi.n_head,
                (int)mi.n_head_kv, (int)mi.head_dim);
        fprintf(f, "n_ff:            %d\n", (int)mi.n_ff);
        if (mi.n_expert)
            fprintf(f, "n_expert:        %d (%d used per token)\n", (int)mi.n_expert,
                    (int)mi.n_expert_used);
        fprintf(f, "n_ctx_train:     %d\n", (int)mi.n_ctx_train);
        if (mi.sliding_window)
            fprintf(f, "sliding_window:  %d\n", (int)mi.sliding_window);
        else
            fprintf(f, "sliding_window:  none\n");
        fprintf(f, "rope_theta:      %g\n", (double)mi.rope_theta);
        fprintf(f, "norm_eps:        %g\n", (double)mi.norm_eps);
        fprintf(f, "weight type:     %s\n", type_name(mi.weight_type));
        fprintf(f, "tensors:         %d\n", (int)n_tensors);
        for (int t = 0; t <= N_TYPE_SLOTS; t++)
            if (totals[t].count)
                fprintf(f, "  %-8s %4d tensors %14llu bytes (%.2f MiB)\n",
                        t < N_TYPE_SLOTS ? type_name(t) : "other", (int)totals[t].count,
                        (unsigned long long)totals[t].bytes, mib(totals[t].bytes));
        fprintf(f, "weight bytes:    %llu (%.2f MiB)\n", (unsigned long long)mi.weight_bytes,
                mib(mi.weight_bytes));
        if (mi.expert_bytes)
            fprintf(f, "expert bytes:    %llu (%.2f MiB; one expert %.2f MiB: the smallest "
                       "--expert-cache)\n", (unsigned long long)mi.expert_bytes,
                    mib(mi.expert_bytes), mib(mi.expert_max_bytes));
        fprintf(f, "session n_ctx %d: %llu bytes (%.2f MiB: %sKV cache + scratch)\n", (int)n_ctx,
                (unsigned long long)session_bytes, mib(session_bytes),
                o->kv_type == MW_KV_F16 ? "F16 " : "");
        if (o->tensors) {
            fprintf(f, "\n%-32s %-6s %-22s %s\n", "tensor", "type", "shape", "bytes");
            for (int32_t i = 0; i < n_tensors; i++) {
                const char *name;
                int32_t type;
                int64_t ne[4];
                uint64_t bytes;
                mw_model_tensor_info(model, i, &name, &type, ne, &bytes);
                char shape[128];
                shape_str(shape, sizeof(shape), ne, " x ");
                fprintf(f, "%-32s %-6s %-22s %llu\n", safe_text(text, sizeof text, name),
                        type_name(type), shape,
                        (unsigned long long)bytes);
            }
        }
    }
    mw_model_free(model);
    return fflush(f) == 0 ? 0 : cli_error("write failed");
}
