"""The vocabulary every folder shares: modes, plain JSON data, shape signatures, the environment.

Pure: nothing here imports pytest, MindSpore or another folder of the package.
"""
