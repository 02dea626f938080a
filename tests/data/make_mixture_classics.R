# Writes tests/data/faithful_waiting.csv and tests/data/galaxies.csv, the two classic data sets on which
# the normal mixture's starts are tested against scikit-learn (tests/data/make_mixture_classics_reference.py).
# Made with R version 4.2.2 Patched (2022-11-10 r83330) and MASS 7.3.58.2 (Debian r-base-core,
# r-cran-mass). Run from the repository root: Rscript tests/data/make_mixture_classics.R
#
# faithful_waiting.csv: datasets::faithful$waiting, the waiting time in minutes between eruptions of
#   the Old Faithful geyser, Yellowstone National Park (272 eruptions); R's documentation gives the
#   source as Härdle, W. (1991) Smoothing Techniques with Implementation in S, Springer, after
#   Azzalini, A. and Bowman, A. W. (1990) Applied Statistics 39, 357-365.
# galaxies.csv: MASS::galaxies, the velocities in km/s of 82 galaxies of the Corona Borealis region
#   (Postman, M., Huchra, J. P. and Geller, M. J. (1986) Astronomical Journal 92, 1238-1247, as used
#   by Roeder, K. (1990) JASA 85, 617-624; MASS notes that the 78th value, 26690, should be 26960,
#   and that an 83rd galaxy, 5607 km/s, is left out: both kept as MASS has them, the copy every
#   mixture paper uses).
#
# Licence: both are measurements of natural phenomena (eruption times, galaxy velocities), bare
# facts, which copyright does not cover; R's datasets package and MASS are GPL-2 | GPL-3 software
# and no licence text of theirs reserves rights in these numbers. That is the argument, not an
# explicit public-domain dedication (none could be found offline): the files are test data only,
# not shipped in the package (mle_tutorial/datasets/ holds only data with a stated public-domain
# status).
suppressMessages(library(MASS))
write.csv(data.frame(waiting = faithful$waiting), "tests/data/faithful_waiting.csv", row.names = FALSE,
          quote = FALSE)
write.csv(data.frame(velocity = galaxies), "tests/data/galaxies.csv", row.names = FALSE, quote = FALSE)
