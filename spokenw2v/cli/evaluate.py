"""(commands registered here)"""
