"""CPS card access through PKCS#11 (python-pkcs11): presence, authentication certificate."""
