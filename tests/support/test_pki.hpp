#pragma once

// Certificates and keys made at run time with the OpenSSL API (no committed keys, no openssl
// command): a CA, and server certificates it signs for given subjectAltNames.

#include "support/temp_dir.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace edgent::net::testing {

/// A PEM certificate and its PEM private key (unencrypted, EC P-256).
struct PemPair {
  std::string cert;
  std::string key;
};

namespace pki_detail {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

inline void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("test pki: ") + what);
  }
}

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  check(ext != nullptr, "bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

inline Cert parse_cert(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  check(cert != nullptr, "cannot parse issuer certificate");
  return cert;
}

inline Key parse_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  check(key != nullptr, "cannot parse issuer key");
  return key;
}

} // namespace pki_detail

/// A certificate for @p common_name: a CA (basicConstraints CA:TRUE) when @p san is empty,
/// else a server certificate with subjectAltName @p san (e.g. "IP:127.0.0.1,DNS:localhost").
/// Signed by @p issuer, or self-signed when it is null. Valid from an hour ago for a day.
inline PemPair make_certificate(const std::string& common_name, const std::string& san,
                                const PemPair* issuer) {
  using namespace pki_detail;
  static long serial = 1;
  Key key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  check(key != nullptr, "cannot generate a key");
  Cert cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  Cert issuer_cert(nullptr, &X509_free);
  Key issuer_key(nullptr, &EVP_PKEY_free);
  if (issuer) {
    issuer_cert = parse_cert(issuer->cert);
    issuer_key = parse_key(issuer->key);
  }
  X509* signer_cert = issuer ? issuer_cert.get() : cert.get();
  EVP_PKEY* signer_key = issuer ? issuer_key.get() : key.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer_cert));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, signer_cert, cert.get(), nullptr, nullptr, 0);
  if (san.empty()) {
    add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), &ctx, NID_basic_constraints, "CA:FALSE");
    add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), &ctx, NID_subject_alt_name, san);
  }
  add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  check(X509_sign(cert.get(), signer_key, EVP_sha256()) > 0, "cannot sign");

  PemPair out;
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), &BIO_free);
  check(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "cannot write certificate");
  out.cert = bio_text(cert_bio.get());
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(BIO_new(BIO_s_mem()), &BIO_free);
  check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "cannot write key");
  out.key = bio_text(key_bio.get());
  return out;
}

/// A CA, a server certificate it signs for 127.0.0.1 and localhost, and an unrelated CA,
/// written as PEM files to a private temporary directory (removed on destruction).
class TestPki {
public:
  TestPki() {
    ca = make_certificate("edgent test CA", "", nullptr);
    server = make_certificate("edgent test server", "IP:127.0.0.1,DNS:localhost", &ca);
    other_ca = make_certificate("some other CA", "", nullptr);
    elsewhere = make_certificate("another host", "IP:10.9.9.9,DNS:edge.invalid", &ca);
    write("ca.pem", ca.cert);
    write("server.pem", server.cert);
    write("server.key", server.key);
    write("other_ca.pem", other_ca.cert);
    write("elsewhere.pem", elsewhere.cert);
    write("elsewhere.key", elsewhere.key);
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  /// The path of file @p name in the directory (ca.pem, server.pem, server.key,
  /// other_ca.pem, elsewhere.pem, elsewhere.key, or one written with write()).
  std::string path(const std::string& name) const { return m_dir.file(name); }
  /// Writes @p text to file @p name; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(m_dir.file(name), std::ios::binary) << text;
    return path(name);
  }

  PemPair ca;
  PemPair server;     ///< signed by ca, for IP 127.0.0.1 and DNS localhost
  PemPair other_ca;
  PemPair elsewhere;  ///< signed by ca, for 10.9.9.9 and edge.invalid only

private:
  edgent::testing::TempDir m_dir{"pki"};
};

} // namespace edgent::net::testing
