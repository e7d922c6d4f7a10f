// Placeholder replaced by the keygen work in this same session.
print("conclave-keygen")
