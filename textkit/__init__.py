"""One text toolkit for every stage: words, stopwords, stemming (and, for answers, markdown blocks
and sentences). Stages must not grow their own variants: the same word means the same thing in the
index, in retrieval, in answers and in practice grading."""
