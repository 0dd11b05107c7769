// pinning_check: certpin.hpp exercised on the sample certificates, as a C++17 app would use it.
//
//   pinning_check TESTDATA_DIR
//
// Prints one "ok: ..." line per check and exits 0 when every check holds; a failed check
// prints "FAILED: ..." and the program exits 1 (2 for unreadable sample files).
// Built and run by tests/cpp.rs (under AddressSanitizer and UBSan) and, through CMake's
// find_package(certpin), by tests/install.rs against an installed copy.

#include <certpin.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// 2027-01-01T00:00:00Z: inside the validity of the sample certificates.
constexpr std::uint64_t at = 1798761600;
constexpr std::string_view host = "api.example.com";

int failures = 0;

void check(bool holds, const std::string &what)
{
    std::printf("%s: %s\n", holds ? "ok" : "FAILED", what.c_str());
    if (!holds) {
        failures++;
    }
}

void check_result(certpin::result got, certpin::result want, const std::string &what)
{
    check(got == want, what + " -> " + certpin::name(got) +
                           (got == want ? "" : std::string(" (wanted ") + certpin::name(want) + ")"));
}

std::vector<std::uint8_t> read_file(const std::string &path)
{
    std::vector<std::uint8_t> bytes;
    std::FILE *file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        std::fprintf(stderr, "pinning_check: cannot open %s\n", path.c_str());
        std::exit(2);
    }
    int c;
    while ((c = std::fgetc(file)) != EOF) {
        bytes.push_back(static_cast<std::uint8_t>(c));
    }
    std::fclose(file);
    return bytes;
}

bool contains(std::string_view text, std::string_view part)
{
    return text.find(part) != std::string_view::npos;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: pinning_check TESTDATA_DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    const auto sample = [&](const char *name) { return read_file(dir + "/" + name + ".der"); };
    const std::vector<std::uint8_t> root = sample("root-ca");
    const std::vector<std::uint8_t> intermediate = sample("intermediate-ca");
    const std::vector<std::uint8_t> leaf = sample("leaf");
    const std::vector<std::uint8_t> rogue = sample("rogue-ca");
    const std::vector<std::uint8_t> mitm_leaf = sample("mitm-leaf");

    std::printf("certpin %.*s\n", static_cast<int>(certpin::version().size()),
                certpin::version().data());

    // The pin to set: the genuine intermediate's key, computed by the library.
    const certpin::spki_pin intermediate_pin = certpin::pin_of(intermediate);
    check_result(intermediate_pin.code(), certpin::result::ok, "pin_of(intermediate-ca)");
    check(intermediate_pin.text().size() == 51 && intermediate_pin.text().substr(0, 7) == "sha256/",
          "the pin reads sha256/ + 44 base64 characters: " + std::string(intermediate_pin.text()));

    certpin::store store;
    check(store.valid(), "a new store holds a pin_store");
    check_result(store.add_trust_anchor(root), certpin::result::ok, "trust the genuine root");
    // The rogue root is trusted too, as a user-installed proxy CA would be on a device.
    check_result(store.add_trust_anchor(rogue), certpin::result::ok, "trust the rogue root");
    check_result(store.add_pin(host, intermediate_pin.text()), certpin::result::ok,
                 "pin the intermediate for api.example.com");

    // 1. The genuine chain, leaf first.
    check_result(store.verify_at({leaf, intermediate}, host, at), certpin::result::ok,
                 "genuine chain");
    const certpin::verdict genuine = store.explain_at({leaf, intermediate}, host, at);
    check(genuine.trusted() && contains(genuine.explanation(), "PIN_OK"),
          "genuine chain explained as PIN_OK");

    // 2. A man-in-the-middle chain from the rogue root: valid, but not pinned.
    const certpin::verdict mitm = store.explain_at({mitm_leaf}, host, at);
    check_result(mitm.code(), certpin::result::pin_mismatch, "MITM chain");
    check(!mitm && contains(mitm.explanation(), "PIN_ERR_PIN_MISMATCH") &&
              contains(mitm.explanation(), "Rogue Proxy CA") &&
              contains(mitm.explanation(), intermediate_pin.text()),
          "the MITM refusal is explained: the rogue root on the path and the pin wanted");

    // 3. The MITM chain with the genuine pinned intermediate appended: not on the path.
    check_result(store.verify_at({mitm_leaf, intermediate}, host, at),
                 certpin::result::pin_mismatch, "MITM chain + genuine intermediate appended");

    // 4. Errors come back as results, and leave the store as it was.
    check_result(store.add_pin(host, "sha256/not-a-pin"), certpin::result::bad_pin, "a bad pin");
    check_result(store.add_pin("bad host!", intermediate_pin.text()), certpin::result::bad_host,
                 "a bad host pattern");
    check_result(store.add_trust_anchor(certpin::bytes(nullptr, 0)),
                 certpin::result::null_argument, "a NULL anchor");
    const std::vector<std::uint8_t> garbage = {0x30, 0x03, 0x02, 0x01};
    check_result(store.add_trust_anchor(garbage), certpin::result::bad_certificate,
                 "garbage as an anchor");
    check_result(store.verify_at({}, host, at), certpin::result::empty_chain, "an empty chain");
    check_result(store.verify_at({certpin::bytes(nullptr, 0)}, host, at),
                 certpin::result::null_argument, "a NULL certificate in the chain");
    using namespace std::string_view_literals;
    check_result(store.verify_at({leaf, intermediate}, "api.example.com\0.evil.example"sv, at),
                 certpin::result::invalid_argument, "a host with a NUL inside");
    check_result(store.explain_at({leaf, intermediate}, "api.example.com\0x"sv, at).code(),
                 certpin::result::invalid_argument, "a host with a NUL inside, explained");
    check_result(store.verify_at({leaf, intermediate}, std::string(2000, 'a'), at),
                 certpin::result::invalid_argument, "a host longer than CERTPIN_MAX_HOST_LEN");
    const std::vector<certpin::bytes> long_chain(CERTPIN_MAX_CHAIN_LEN + 5, certpin::bytes(leaf));
    check_result(store.verify_at(long_chain, host, at), certpin::result::invalid_argument,
                 "a chain longer than CERTPIN_MAX_CHAIN_LEN");
    check_result(store.verify_at({leaf, intermediate}, host, at), certpin::result::ok,
                 "after the errors, the genuine chain still passes");
    check_result(store.verify_at({mitm_leaf}, host, at), certpin::result::pin_mismatch,
                 "after the errors, the MITM chain is still refused");

    // 5. Move semantics: one owner at a time; a moved-from store answers null_argument.
    certpin::store moved(std::move(store));
    check(moved.valid() && !store.valid(), "move construction takes the handle");
    check_result(store.verify_at({leaf, intermediate}, host, at), certpin::result::null_argument,
                 "a moved-from store");
    check_result(store.add_pin(host, intermediate_pin.text()), certpin::result::null_argument,
                 "adding to a moved-from store");
    check_result(moved.verify_at({mitm_leaf}, host, at), certpin::result::pin_mismatch,
                 "the moved-to store keeps its pins");

    certpin::store other; // its own pin_store, freed by the assignment (LeakSanitizer checks)
    other = std::move(moved);
    check(other.valid() && !moved.valid(), "move assignment takes the handle");
    check_result(other.verify_at({leaf, intermediate}, host, at), certpin::result::ok,
                 "the assigned store passes the genuine chain");
    certpin::store &alias = other;
    other = std::move(alias);
    check(other.valid(), "self move-assignment keeps the handle");

    pin_store *raw = other.release();
    check(raw != nullptr && !other.valid(), "release gives up the handle");
    certpin::store adopted(raw);
    check_result(static_cast<certpin::result>(
                     pin_verify_chain_at(adopted.get(), nullptr, 0, host.data(), at)),
                 certpin::result::null_argument, "the C API through get()");

    // 6. Names and descriptions come from the library.
    check(std::string_view(certpin::name(certpin::result::pin_mismatch)) == "PIN_ERR_PIN_MISMATCH",
          "name(pin_mismatch)");
    check(std::string_view(certpin::description(certpin::result::ok)).size() > 0,
          "description(ok)");

    if (failures > 0) {
        std::printf("%d check(s) failed\n", failures);
        return 1;
    }
    std::printf("all checks passed\n");
    return 0;
}
