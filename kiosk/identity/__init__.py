"""The resident ID card's data model, camera frames and face verification.

Pure logic over bytes and images: no Qt, no device I/O, testable anywhere.
"""
