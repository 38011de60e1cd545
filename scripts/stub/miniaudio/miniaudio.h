/*
 * Stand-in for miniaudio.h, used when building Ollama from its Go module.
 *
 * Go module zips omit vendor/ folders, so llama.cpp's vendored miniaudio
 * header is missing there. Only the audio decoding helper in
 * tools/mtmd/mtmd-helper.cpp uses it. This stand-in declares the few types
 * and functions that file calls; decoding always fails, so audio input is
 * rejected as "not a valid audio file" while everything else (text and
 * embedding models) works unchanged.
 */
#ifndef SALVO_MINIAUDIO_STUB_H
#define SALVO_MINIAUDIO_STUB_H

#include <stddef.h>
#include <string.h>

#ifndef MA_API
#define MA_API static inline
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int ma_result;
typedef unsigned int ma_uint32;
typedef unsigned long long ma_uint64;

#define MA_SUCCESS 0
#define MA_ERROR (-1)
#define MA_NOT_IMPLEMENTED (-29)

typedef enum {
    ma_format_unknown = 0,
    ma_format_u8 = 1,
    ma_format_s16 = 2,
    ma_format_s24 = 3,
    ma_format_s32 = 4,
    ma_format_f32 = 5
} ma_format;

typedef struct {
    ma_format format;
    ma_uint32 channels;
    ma_uint32 sampleRate;
} ma_decoder_config;

typedef struct {
    ma_decoder_config config;
} ma_decoder;

MA_API ma_decoder_config ma_decoder_config_init(ma_format outputFormat, ma_uint32 outputChannels, ma_uint32 outputSampleRate) {
    ma_decoder_config c;
    c.format = outputFormat;
    c.channels = outputChannels;
    c.sampleRate = outputSampleRate;
    return c;
}

MA_API ma_result ma_decoder_init_memory(const void * pData, size_t dataSize, const ma_decoder_config * pConfig, ma_decoder * pDecoder) {
    (void) pData;
    (void) dataSize;
    (void) pConfig;
    if (pDecoder != NULL) {
        memset(pDecoder, 0, sizeof(*pDecoder));
    }
    return MA_NOT_IMPLEMENTED;
}

MA_API ma_result ma_decoder_get_length_in_pcm_frames(ma_decoder * pDecoder, ma_uint64 * pLength) {
    (void) pDecoder;
    if (pLength != NULL) {
        *pLength = 0;
    }
    return MA_NOT_IMPLEMENTED;
}

MA_API ma_result ma_decoder_read_pcm_frames(ma_decoder * pDecoder, void * pFramesOut, ma_uint64 frameCount, ma_uint64 * pFramesRead) {
    (void) pDecoder;
    (void) pFramesOut;
    (void) frameCount;
    if (pFramesRead != NULL) {
        *pFramesRead = 0;
    }
    return MA_NOT_IMPLEMENTED;
}

MA_API ma_result ma_decoder_uninit(ma_decoder * pDecoder) {
    (void) pDecoder;
    return MA_SUCCESS;
}

#ifdef __cplusplus
}
#endif

#endif /* SALVO_MINIAUDIO_STUB_H */
