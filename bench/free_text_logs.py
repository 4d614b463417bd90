"""Log lines whose messages are free text, so that each line is its own template.

usage: python3 bench/free_text_logs.py VOCABULARY_SIZE LINES > out.log
"""
import random
import sys

random.seed(3)
n, lines = int(sys.argv[1]), int(sys.argv[2])
words = ['w' + ''.join(random.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(random.randint(3, 8))) for _ in range(n)]
out = sys.stdout
for i in range(lines):
    msg = ' '.join(random.choice(words) if random.random() < 0.8 else str(random.randint(1, 99999)) for _ in range(random.randint(4, 12)))
    out.write('0811%02d 2036%02d %d INFO dfs.DataNode$PacketResponder: %s\n' % (random.randint(10, 28), random.randint(10, 59), random.randint(100, 999), msg))
