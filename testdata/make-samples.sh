#!/usr/bin/env bash
# Regenerate the bundled sample certificates in testdata/.
#
#   bash testdata/make-samples.sh
#
# Needs only the `openssl` CLI (tested with OpenSSL 3.0 on Debian 12).
# `openssl x509 -req` cannot set explicit validity dates in 3.0, so every
# certificate is issued with `openssl ca` from a throwaway CA database in a
# temporary directory that is removed on exit.
#
# Keys are freshly generated on every run: the structure of the output is
# deterministic, the key material (and therefore pins.txt) is not.
# THE PRIVATE KEYS ARE SAMPLES FOR TEST SERVERS ONLY. NEVER USE THEM ELSEWHERE.
set -euo pipefail

OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

VALID_FROM=20260101000000Z
VALID_TO=20460101000000Z

# --- throwaway CA configuration ----------------------------------------------
mkdir -p "$WORK/newcerts"
: > "$WORK/index.txt"
cat > "$WORK/ca.cnf" <<EOF
[ req ]
distinguished_name = req_dn
string_mask        = utf8only
prompt             = no
[ req_dn ]

[ ca ]
default_ca = sample_ca
[ sample_ca ]
dir             = $WORK
database        = \$dir/index.txt
new_certs_dir   = \$dir/newcerts
rand_serial     = yes
unique_subject  = no
default_md      = sha256
policy          = policy_anything
copy_extensions = none
email_in_dn     = no
[ policy_anything ]
organizationName = optional
commonName       = supplied

[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf_rsa ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = \$ENV::SAMPLE_SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_leaf_ec ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = \$ENV::SAMPLE_SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
EOF
# Referenced by the leaf sections; must be set (and non-empty) while the
# config is parsed, so give it a placeholder for CA certificates.
export SAMPLE_SAN="DNS:unused.invalid"

# --- helpers -------------------------------------------------------------------

# gen_key NAME rsa|ec  ->  $OUT/NAME.key (PKCS#8 PEM)
gen_key() {
    local name=$1 kind=$2
    case $kind in
        rsa) openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                 -out "$OUT/$name.key" ;;
        ec)  openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                 -pkeyopt ec_param_enc:named_curve -out "$OUT/$name.key" ;;
        *)   echo "unknown key kind: $kind" >&2; exit 1 ;;
    esac
}

# issue NAME KIND SUBJECT ISSUER EXT_SECTION START END
#   ISSUER is the base name of the signing CA, or "self" for a self-signed root.
#   Writes $OUT/NAME.{key,pem,der}.
issue() {
    local name=$1 kind=$2 subj=$3 issuer=$4 ext=$5 start=$6 end=$7
    local csr="$WORK/$name.csr" raw="$WORK/$name.ca.pem"
    local -a signer

    gen_key "$name" "$kind"
    openssl req -new -config "$WORK/ca.cnf" -key "$OUT/$name.key" \
        -subj "$subj" -out "$csr"

    if [[ $issuer == self ]]; then
        signer=(-selfsign -keyfile "$OUT/$name.key")
    else
        signer=(-cert "$OUT/$issuer.pem" -keyfile "$OUT/$issuer.key")
    fi

    openssl ca -batch -notext -preserveDN -config "$WORK/ca.cnf" \
        "${signer[@]}" -extensions "$ext" \
        -startdate "$start" -enddate "$end" \
        -in "$csr" -out "$raw" 2> "$WORK/ca.log" \
        || { cat "$WORK/ca.log" >&2; exit 1; }

    openssl x509 -in "$raw" -outform PEM -out "$OUT/$name.pem"
    openssl x509 -in "$raw" -outform DER -out "$OUT/$name.der"
}

# One function per certificate kind.
make_root()         { issue "$1" "$2" "$3" self  v3_ca           "$VALID_FROM" "$VALID_TO"; }
make_intermediate() { issue "$1" "$2" "$3" "$4"  v3_intermediate "$VALID_FROM" "$VALID_TO"; }

# make_leaf NAME KIND ISSUER SAN [START END]
make_leaf() {
    local name=$1 kind=$2 issuer=$3 san=$4
    local start=${5:-$VALID_FROM} end=${6:-$VALID_TO}
    SAMPLE_SAN=$san issue "$name" "$kind" "/CN=api.example.com" "$issuer" \
        "v3_leaf_$kind" "$start" "$end"
}

# make_chain OUTFILE CERT...  (leaf first)
make_chain() {
    local out=$1; shift
    local c
    for c in "$@"; do cat "$OUT/$c.pem"; done > "$OUT/$out"
}

# pin NAME  ->  "sha256/<base64 of SHA-256 over the DER SubjectPublicKeyInfo>"
pin() {
    printf 'sha256/%s' "$(openssl x509 -in "$OUT/$1.pem" -pubkey -noout \
        | openssl pkey -pubin -outform der \
        | openssl dgst -sha256 -binary \
        | openssl base64 -A)"
}

# --- the samples -------------------------------------------------------------

SAMPLES_O="/O=certpin samples"

make_root         root-ca            rsa "$SAMPLES_O/CN=certpin Sample Root CA"
make_intermediate intermediate-ca    rsa "$SAMPLES_O/CN=certpin Sample Intermediate CA" root-ca
make_leaf         leaf               rsa intermediate-ca "DNS:api.example.com, DNS:www.example.com"

make_root         rogue-ca           rsa "/O=mitm/CN=Rogue Proxy CA"
make_leaf         mitm-leaf          rsa rogue-ca "DNS:api.example.com"

make_root         ec-root-ca         ec  "$SAMPLES_O/CN=certpin Sample EC Root CA"
make_intermediate ec-intermediate-ca ec  "$SAMPLES_O/CN=certpin Sample EC Intermediate CA" ec-root-ca
make_leaf         ec-leaf            ec  ec-intermediate-ca "DNS:api.example.com"

make_leaf         expired-leaf       rsa intermediate-ca "DNS:api.example.com" \
                  20200101000000Z 20210101000000Z

make_chain chain.pem      leaf intermediate-ca
make_chain mitm-chain.pem mitm-leaf
make_chain ec-chain.pem   ec-leaf ec-intermediate-ca

CERTS=(root-ca intermediate-ca leaf rogue-ca mitm-leaf
       ec-root-ca ec-intermediate-ca ec-leaf expired-leaf)
for c in "${CERTS[@]}"; do
    printf '%s %s\n' "$c" "$(pin "$c")"
done > "$OUT/pins.txt"

echo "Generated samples in $OUT:"
cat "$OUT/pins.txt"
