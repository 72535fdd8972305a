set terminal pngcairo size 900,500 font ',10' noenhanced
set output 'chart.png'
set title 'Locks and TaskGroup (L1-L4): median CPU ns per item, log scale'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.1:*]
set ylabel 'ns per item'
set key top left
set grid ytics
plot 'chart.dat' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3), '' using 4 title columnheader(4), '' using 5 title columnheader(5)
