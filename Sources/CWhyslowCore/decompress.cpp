// gzip (zlib, any number of members) and zstd (any number of frames) streaming decoders.

#include "decompress.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <string>

#include "span_table.hpp"

namespace whyslow {
namespace {

ParseError corrupt(const char *format, uint64_t at) {
  return {WSL_ERROR_JSON,
          std::string("corrupt or truncated ") + format + " data at byte " + std::to_string(at) +
              " of the compressed file",
          -1};
}

class Gzip final : public Decompressor {
 public:
  Gzip(const char *bytes, size_t length) : length_(length), remaining_(length) {
    if (inflateInit2(&stream_, 15 + 32) != Z_OK) throw std::bad_alloc();
    stream_.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes));
  }
  ~Gzip() override { inflateEnd(&stream_); }

  size_t read(char *out, size_t capacity) override {
    size_t written = 0;
    while (written < capacity && !ended_) {
      if (stream_.avail_in == 0) {  // zlib counts in 32 bits: feed at most 4 GiB at a time
        if (remaining_ == 0) throw corrupt("gzip", length_);  // the data end inside a member
        stream_.avail_in = static_cast<uInt>(std::min<size_t>(remaining_, UINT32_MAX));
        remaining_ -= stream_.avail_in;
      }
      stream_.next_out = reinterpret_cast<Bytef *>(out + written);
      stream_.avail_out = static_cast<uInt>(std::min<size_t>(capacity - written, UINT32_MAX));
      uInt before = stream_.avail_out;
      int status = inflate(&stream_, Z_NO_FLUSH);
      written += before - stream_.avail_out;
      if (status == Z_STREAM_END) {
        if (stream_.avail_in == 0 && remaining_ == 0) {
          ended_ = true;
        } else {
          inflateReset(&stream_);  // another gzip member follows
        }
      } else if (status != Z_OK && status != Z_BUF_ERROR) {
        throw corrupt("gzip", length_ - remaining_ - stream_.avail_in);
      }
    }
    return written;
  }

  const char *name() const override { return "gzip"; }

 private:
  z_stream stream_{};
  size_t length_;
  size_t remaining_;  // bytes not yet handed to zlib
  bool ended_ = false;
};

class Zstd final : public Decompressor {
 public:
  Zstd(const char *bytes, size_t length) : stream_(ZSTD_createDStream()), input_{bytes, length, 0} {
    if (stream_ == nullptr) throw std::bad_alloc();
  }
  ~Zstd() override { ZSTD_freeDStream(stream_); }

  size_t read(char *out, size_t capacity) override {
    ZSTD_outBuffer output{out, capacity, 0};
    while (output.pos < output.size && input_.pos < input_.size) {
      size_t status = ZSTD_decompressStream(stream_, &output, &input_);
      if (ZSTD_isError(status)) {
        throw ParseError{WSL_ERROR_JSON,
                         std::string("corrupt zstd data at byte ") + std::to_string(input_.pos) +
                             " of the compressed file: " + ZSTD_getErrorName(status),
                         -1};
      }
      frame_open_ = status != 0;
    }
    if (output.pos == 0 && frame_open_) {
      size_t status = ZSTD_decompressStream(stream_, &output, &input_);  // buffered output, if any
      if (ZSTD_isError(status) || (output.pos == 0 && input_.pos == input_.size)) {
        throw corrupt("zstd", input_.pos);  // the last frame is cut short
      }
      frame_open_ = status != 0;
    }
    return output.pos;
  }

  const char *name() const override { return "zstd"; }

 private:
  ZSTD_DStream *stream_;
  ZSTD_inBuffer input_;
  bool frame_open_ = false;
};

}  // namespace

std::unique_ptr<Decompressor> Decompressor::open(const char *bytes, size_t length) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  if (length >= 2 && byte(0) == 0x1f && byte(1) == 0x8b) return std::make_unique<Gzip>(bytes, length);
  if (length >= 4 && byte(0) == 0x28 && byte(1) == 0xb5 && byte(2) == 0x2f && byte(3) == 0xfd) {
    return std::make_unique<Zstd>(bytes, length);
  }
  return nullptr;
}

}  // namespace whyslow
