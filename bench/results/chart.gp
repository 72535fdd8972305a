set terminal pngcairo noenhanced size 1400,700 font ",11"
set output 'chart.png'
set title "Median CPU ns per item (log scale; lower is better)\nAMD EPYC, 2 cores, 23 GiB, 2026-11-30 09:17 UTC"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y 10
set yrange [0.1:*]
set ylabel "ns per item"
set grid ytics
set key outside right top
plot 'chart.dat' using 2:xtic(1) title columnheader(2), 'chart.dat' using 3:xtic(1) title columnheader(3), 'chart.dat' using 4:xtic(1) title columnheader(4), 'chart.dat' using 5:xtic(1) title columnheader(5), 'chart.dat' using 6:xtic(1) title columnheader(6), 'chart.dat' using 7:xtic(1) title columnheader(7), 'chart.dat' using 8:xtic(1) title columnheader(8)
