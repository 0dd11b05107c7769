/*
 * certpin.hpp: a header-only C++17 face for certpin.h. Hand-written (certpin.h is generated).
 *
 * - certpin::store owns a pin_store (RAII, move-only). A moved-from store holds nothing; its
 *   calls return result::null_argument, as the C API does for a NULL store.
 * - Inputs are std::string_view for hosts and pins, and certpin::bytes (a span of const
 *   uint8_t: a pointer and a size, a std::vector, a std::array or a C array) for DER.
 * - Results are certpin::result, an enum class with the C codes' values; certpin::verdict adds
 *   the explanation text. Nothing here throws or allocates: every function is noexcept and
 *   works with -fno-exceptions. The library checks every argument; this header only turns
 *   C++ views into the C arguments (NUL-terminated copies, pin_bytes arrays).
 *
 * Link it like certpin.h: pkg-config certpin, or CMake's certpin::certpin target.
 */

#ifndef CERTPIN_HPP
#define CERTPIN_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <type_traits>
#include <utility>

#include "certpin.h"

namespace certpin {

/** A result code. The values are the C API's PIN_* codes (ABI: never renumbered). A value
 *  this header does not name (from a newer library) keeps its number: name() still has it. */
enum class result : std::uint32_t {
    ok = PIN_OK,
    null_argument = PIN_ERR_NULL_ARGUMENT,
    invalid_argument = PIN_ERR_INVALID_ARGUMENT,
    bad_pin = PIN_ERR_BAD_PIN,
    bad_host = PIN_ERR_BAD_HOST,
    bad_certificate = PIN_ERR_BAD_CERTIFICATE,
    empty_chain = PIN_ERR_EMPTY_CHAIN,
    unknown_issuer = PIN_ERR_UNKNOWN_ISSUER,
    expired = PIN_ERR_EXPIRED,
    not_yet_valid = PIN_ERR_NOT_YET_VALID,
    host_mismatch = PIN_ERR_HOST_MISMATCH,
    invalid_chain = PIN_ERR_INVALID_CHAIN,
    pin_mismatch = PIN_ERR_PIN_MISMATCH,
    not_pinned = PIN_ERR_NOT_PINNED,
    bad_config = PIN_ERR_BAD_CONFIG,
    bad_signature = PIN_ERR_BAD_SIGNATURE,
    stale_update = PIN_ERR_STALE_UPDATE,
    buffer_too_small = PIN_ERR_BUFFER_TOO_SMALL,
    io = PIN_ERR_IO,
    internal = PIN_ERR_INTERNAL,
};

/** The C name of a result: "PIN_OK", "PIN_ERR_PIN_MISMATCH", ... (static, never NULL). */
inline const char *name(result code) noexcept
{
    return pin_result_name(static_cast<std::uint32_t>(code));
}

/** A one-line English description of a result (static, never NULL). */
inline const char *description(result code) noexcept
{
    return pin_result_description(static_cast<std::uint32_t>(code));
}

/** The library's version, "MAJOR.MINOR.PATCH" (compare with CERTPIN_VERSION_*). */
inline std::string_view version() noexcept { return pin_version(); }

/** A borrowed run of `size()` values at `data()` (std::span's shape, for C++17). */
template <typename T>
class span {
  public:
    constexpr span() noexcept = default;
    constexpr span(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <std::size_t N>
    constexpr span(T (&array)[N]) noexcept : data_(array), size_(N) {}
    /** Any contiguous container whose data() converts to T*: std::vector, std::array, ... */
    template <typename Container,
              typename = std::enable_if_t<
                  !std::is_same_v<std::decay_t<Container>, span> &&
                  std::is_convertible_v<decltype(std::declval<Container &>().data()), T *>>>
    constexpr span(Container &container) noexcept
        : data_(container.data()), size_(container.size())
    {
    }
    /** A braced list, e.g. store.verify({leaf, intermediate}, host): it lives until the end of
     *  the full expression, so keep no span of one beyond it (as with C++26's std::span). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
    template <typename U = T, typename = std::enable_if_t<std::is_const_v<U>>>
    constexpr span(std::initializer_list<std::remove_const_t<T>> list) noexcept
        : data_(list.begin()), size_(list.size())
    {
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    constexpr T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }
    constexpr T &operator[](std::size_t i) const noexcept { return data_[i]; }

  private:
    T *data_ = nullptr;
    std::size_t size_ = 0;
};

/** DER bytes, borrowed. */
using bytes = span<const std::uint8_t>;

/** A verdict on a chain: its result and certpin's explanation of it (policy, pins, every
 *  certificate's pin and subject). Holds the text inline: no allocation. */
class verdict {
  public:
    /** Room for the explanation of any usual chain; a longer one is cut and ends in "...". */
    static constexpr std::size_t explanation_capacity = 4096;

    result code() const noexcept { return code_; }
    /** The chain is trusted (result::ok). */
    bool trusted() const noexcept { return code_ == result::ok; }
    explicit operator bool() const noexcept { return trusted(); }
    /** Starts with the result's name, e.g. "PIN_ERR_PIN_MISMATCH: ...". */
    std::string_view explanation() const noexcept { return text_.data(); }

  private:
    friend class store;
    result code_ = result::internal;
    std::array<char, explanation_capacity> text_{};
};

/** A certificate key's pin, "sha256/..." (see pin_spki_sha256). */
class spki_pin {
  public:
    result code() const noexcept { return code_; }
    /** The pin; empty unless code() is result::ok. */
    std::string_view text() const noexcept { return text_.data(); }

  private:
    friend spki_pin pin_of(bytes der) noexcept;
    result code_ = result::internal;
    std::array<char, CERTPIN_PIN_BUFFER_LEN> text_{};
};

/** The pin of a DER certificate's public key. */
inline spki_pin pin_of(bytes der) noexcept
{
    spki_pin pin;
    pin.code_ = static_cast<result>(
        pin_spki_sha256(der.data(), der.size(), pin.text_.data(), pin.text_.size()));
    return pin;
}

namespace detail {

/** A NUL-terminated copy of a string_view for a C call that reads at most MaxLen bytes.
 *  A longer text is copied cut to MaxLen + 1 bytes, which the library refuses as too long,
 *  so the rule stays in one place. An embedded NUL would make C read a shorter, different
 *  name ("api.example.com\0.evil"): such a text is refused here. */
template <std::size_t MaxLen>
class c_string {
  public:
    explicit c_string(std::string_view text) noexcept
    {
        const std::size_t len = text.size() < MaxLen + 1 ? text.size() : MaxLen + 1;
        for (std::size_t i = 0; i < len; i++) {
            if (text[i] == '\0') {
                has_nul_ = true;
            }
            buffer_[i] = text[i];
        }
        buffer_[len] = '\0';
    }
    /** The text has a NUL byte inside: do not call C with it. */
    bool has_nul() const noexcept { return has_nul_; }
    const char *get() const noexcept { return buffer_.data(); }

  private:
    std::array<char, MaxLen + 2> buffer_{};
    bool has_nul_ = false;
};

using host_string = c_string<CERTPIN_MAX_HOST_LEN>;
using pin_string = c_string<CERTPIN_MAX_PIN_LEN>;

/** A chain as the C API's pin_bytes array. Holds one entry more than CERTPIN_MAX_CHAIN_LEN:
 *  a longer chain is passed cut to that length, which the library refuses as too long. */
class chain {
  public:
    explicit chain(span<const bytes> certificates) noexcept
    {
        len_ = certificates.size() < entries_.size() ? certificates.size() : entries_.size();
        for (std::size_t i = 0; i < len_; i++) {
            entries_[i] = pin_bytes{certificates[i].data(), certificates[i].size()};
        }
    }
    const pin_bytes *data() const noexcept { return entries_.data(); }
    std::size_t size() const noexcept { return len_; }

  private:
    std::array<pin_bytes, CERTPIN_MAX_CHAIN_LEN + 1> entries_{};
    std::size_t len_ = 0;
};

} // namespace detail

/** A set of pins and trust anchors (owns a pin_store). Safe to use from many threads at
 *  once; move-only. */
class store {
  public:
    /** A new empty store (built-in Mozilla roots, no pins). Check it with valid(): the C
     *  call returns NULL only if its allocation panicked. */
    store() noexcept : handle_(pin_store_new()) {}
    /** Takes ownership of a store made by pin_store_new (or NULL). */
    explicit store(pin_store *owned) noexcept : handle_(owned) {}
    ~store() { pin_store_free(handle_); }

    store(const store &) = delete;
    store &operator=(const store &) = delete;
    store(store &&other) noexcept : handle_(other.release()) {}
    store &operator=(store &&other) noexcept
    {
        if (this != &other) {
            pin_store_free(handle_);
            handle_ = other.release();
        }
        return *this;
    }

    /** It holds a store (false once moved from). */
    bool valid() const noexcept { return handle_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    /** The C handle, for the rest of certpin.h; still owned by this object. */
    pin_store *get() const noexcept { return handle_; }
    /** Gives up ownership: the caller frees the result with pin_store_free. */
    pin_store *release() noexcept { return std::exchange(handle_, nullptr); }

    /** pin_store_add: pins a key ("sha256/...") for a host pattern. */
    result add_pin(std::string_view host_pattern, std::string_view pin) noexcept
    {
        const detail::host_string host(host_pattern);
        const detail::pin_string pin_text(pin);
        if (host.has_nul() || pin_text.has_nul()) {
            return result::invalid_argument;
        }
        return static_cast<result>(pin_store_add(handle_, host.get(), pin_text.get()));
    }

    /** pin_store_add_trust_anchor: trusts a DER certificate as a root (then the built-in
     *  roots are no longer used by this store). */
    result add_trust_anchor(bytes der) noexcept
    {
        return static_cast<result>(pin_store_add_trust_anchor(handle_, der.data(), der.size()));
    }

    /** pin_verify_chain: the verdict on a chain (leaf first) for a host, now. */
    result verify(span<const bytes> chain, std::string_view host) const noexcept
    {
        const detail::chain c_chain(chain);
        const detail::host_string c_host(host);
        if (c_host.has_nul()) {
            return result::invalid_argument;
        }
        return static_cast<result>(
            pin_verify_chain(handle_, c_chain.data(), c_chain.size(), c_host.get()));
    }

    /** pin_verify_chain_at: as verify(), at unix_time (seconds since the Unix epoch). */
    result verify_at(span<const bytes> chain, std::string_view host,
                     std::uint64_t unix_time) const noexcept
    {
        const detail::chain c_chain(chain);
        const detail::host_string c_host(host);
        if (c_host.has_nul()) {
            return result::invalid_argument;
        }
        return static_cast<result>(pin_verify_chain_at(handle_, c_chain.data(), c_chain.size(),
                                                       c_host.get(), unix_time));
    }

    /** pin_verify_chain_explain: the verdict now, with its explanation. */
    verdict explain(span<const bytes> chain, std::string_view host) const noexcept
    {
        return explain_with(chain, host, [&](const pin_bytes *certs, std::size_t len,
                                             const char *c_host, verdict &out) {
            return pin_verify_chain_explain(handle_, certs, len, c_host, out.text_.data(),
                                            out.text_.size());
        });
    }

    /** pin_verify_chain_explain_at: as explain(), at unix_time. */
    verdict explain_at(span<const bytes> chain, std::string_view host,
                       std::uint64_t unix_time) const noexcept
    {
        return explain_with(chain, host, [&](const pin_bytes *certs, std::size_t len,
                                             const char *c_host, verdict &out) {
            return pin_verify_chain_explain_at(handle_, certs, len, c_host, unix_time,
                                               out.text_.data(), out.text_.size());
        });
    }

  private:
    template <typename Call>
    static verdict explain_with(span<const bytes> chain, std::string_view host,
                                Call call) noexcept
    {
        verdict out;
        const detail::chain c_chain(chain);
        const detail::host_string c_host(host);
        if (c_host.has_nul()) {
            out.code_ = result::invalid_argument;
            const std::string_view why =
                "PIN_ERR_INVALID_ARGUMENT: the host has a NUL byte inside\n";
            why.copy(out.text_.data(), why.size());
            return out;
        }
        out.code_ = static_cast<result>(call(c_chain.data(), c_chain.size(), c_host.get(), out));
        return out;
    }

    pin_store *handle_ = nullptr;
};

} // namespace certpin

#endif /* CERTPIN_HPP */
