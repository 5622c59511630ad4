"""Small hand-written Indonesian vocabularies for the mirror's generated articles.

Everything here is invented for Warta's test mirror: person names are fictional
(no quote is ever attributed to a real person); institutions and places are
ordinary Indonesian nouns so that the pages read like Monitor Indonesia's.
"""

from __future__ import annotations

SECTIONS: tuple[str, ...] = ("politik", "hukum", "ekonomi", "nasional", "olahraga", "megapolitan")
SECTION_TITLES: dict[str, str] = {
    "politik": "Politik",
    "hukum": "Hukum",
    "ekonomi": "Ekonomi",
    "nasional": "Nasional",
    "olahraga": "Olahraga",
    "megapolitan": "Megapolitan",
}
#: Relative frequency of each section.
SECTION_WEIGHTS: tuple[int, ...] = (22, 20, 20, 18, 10, 10)

DAYS: tuple[str, ...] = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS: tuple[str, ...] = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)

#: Fictional newsroom staff (byline names).
AUTHORS: tuple[str, ...] = (
    "Rendy Bimantara", "Dimas Saputra", "Anita Rahmawati", "Fajar Nugroho", "Siti Nurhaliza Putri",
    "Yoga Pratama", "Wulan Kusumawardani", "Bagus Wicaksono", "Nadia Salsabila", "Hendra Gunawan",
    "Rizky Ramadhan", "Maya Anggraini", "Aditya Firmansyah", "Intan Permatasari", "Teguh Santoso",
    "Laras Wening", "Irfan Hakim Siregar", "Dewi Lestari Ningsih", "Agung Setiawan", "Putri Ayuningtyas",
    "Kevin Halim", "Ratna Sari Dewi", "Joko Susilo", "Melati Kurniasih", "Andi Baso Amir",
)
#: Editor initials printed as "(Ran)" at the end of the last paragraph.
EDITOR_INITIALS: tuple[str, ...] = ("Ran", "Wan", "Aan", "Lin", "Dhi", "Can", "Yan", "Rif", "Mur", "Ery")

#: Dateline cities; Jakarta dominates.
CITIES: tuple[str, ...] = (
    "Jakarta", "Jakarta", "Jakarta", "Jakarta", "Jakarta", "Jakarta", "Bandung", "Surabaya",
    "Medan", "Semarang", "Makassar", "Yogyakarta", "Denpasar", "Palembang", "Bogor", "Tangerang",
)

#: Photo credit shapes: (template, credit) -- the template renders the bracket.
PHOTO_AGENCIES: tuple[str, ...] = ("Setpres", "Ist", "Dok. Humas", "Kemenkeu", "Humas Polri", "BNPB")
PHOTOGRAPHERS: tuple[str, ...] = ("Aswan", "Hendrik", "Rizal", "Sigit", "Ferdi", "Dhanis")
ANTARA_PHOTOGRAPHERS: tuple[str, ...] = (
    "Hafidz Mubarak A", "Galih Pradipta", "Aprillio Akbar", "Sigid Kurniawan", "M Risyal Hidayat",
    "Muhammad Adimaja",
)

#: Fictional spokespeople with their roles, per section.
SPEAKERS: dict[str, tuple[str, ...]] = {
    "politik": (
        "Ketua KPU Hasan Wiratama", "anggota Bawaslu Yuli Astuti", "Sekjen partai Bima Prakoso",
        "pengamat politik Rina Marlina", "Wakil Ketua DPR Sutrisno Hadi", "juru bicara tim pemenangan Arief Budiman",
    ),
    "hukum": (
        "Juru Bicara KPK Ali Santoso", "Kapuspenkum Kejagung Ketut Wirawan", "kuasa hukum terdakwa Farhan Lubis",
        "Kabid Humas Polda Rudi Hartono", "hakim ketua Suryani Tambunan", "pakar hukum pidana Gilang Mahendra",
    ),
    "ekonomi": (
        "Menteri Perindustrian Agus Wirahadi", "ekonom senior Lestari Wibowo", "Kepala BPS Margo Sudarsono",
        "Gubernur BI Purnomo Adi", "Dirut BUMN energi Nicke Permadi", "analis pasar modal Yudha Pratama",
    ),
    "nasional": (
        "Kepala BNPB Suharyanto Wijaya", "Menteri Kesehatan Budi Hartawan", "Menko PMK Mulyadi Karsa",
        "Kepala BMKG Dwi Kartika", "Menteri Sosial Tri Handayani", "Sekretaris Kabinet Pratikno Adi",
    ),
    "olahraga": (
        "pelatih timnas Shin Ji-ho", "Ketua Umum PSSI Erwin Tohari", "kapten tim Asnawi Ramli",
        "manajer Persija Bambang Pamungkas Jr", "Kabid Binpres PBSI Rionny Mainaky Putra", "Menpora Dito Arieska",
    ),
    "megapolitan": (
        "Pj Gubernur DKI Heru Budiman", "Kapolda Metro Jaya Karyoto Wibisono", "Dirut Transjakarta Welfizon Nur",
        "Kadis Perhubungan DKI Syafrin Lubis", "Wali Kota Jakarta Selatan Munjirin Amir", "Kepala BPBD DKI Isnawa Putra",
    ),
}

#: Headline pieces per section: subjects, verbs (headline case), objects.
HEAD_SUBJECTS: dict[str, tuple[str, ...]] = {
    "politik": ("KPU", "Bawaslu", "DPR", "Golkar", "PDIP", "Gerindra", "PKB", "Capres", "Cawapres", "Koalisi", "Istana", "MPR"),
    "hukum": ("KPK", "Kejagung", "Polri", "MK", "MA", "Bareskrim", "Hakim", "Jaksa", "Polda Metro", "PN Jakpus", "KY", "PPATK"),
    "ekonomi": ("BI", "OJK", "Kemenkeu", "Kemenperin", "BPS", "Pertamina", "PLN", "Kemendag", "BKPM", "IHSG", "Rupiah", "RI-China"),
    "nasional": ("Jokowi", "BNPB", "Kemenkes", "BMKG", "Kemensos", "TNI", "Basarnas", "Kemendikbud", "Kemenag", "Pemerintah", "BRIN", "Wapres"),
    "olahraga": ("Timnas", "PSSI", "Persija", "Persib", "PBSI", "Timnas U-17", "Arema", "Bali United", "Atlet Voli", "Jonatan", "Ginting", "Rizky Ridho"),
    "megapolitan": ("Pemprov DKI", "Transjakarta", "MRT Jakarta", "Polda Metro Jaya", "Dishub DKI", "Satpol PP", "BPBD DKI", "Pj Gubernur", "KAI Commuter", "Jakpro", "Dinkes DKI", "Wali Kota Jaksel"),
}
HEAD_VERBS: dict[str, tuple[str, ...]] = {
    "politik": ("Tetapkan", "Umumkan", "Gelar", "Bahas", "Tolak", "Dukung", "Evaluasi", "Siapkan", "Kritik", "Sahkan"),
    "hukum": ("Periksa", "Tahan", "Tetapkan", "Sita", "Panggil", "Geledah", "Tuntut", "Vonis", "Usut", "Limpahkan"),
    "ekonomi": ("Tingkatkan", "Pangkas", "Dorong", "Tahan", "Catat", "Perkuat", "Genjot", "Proyeksikan", "Buka", "Pacu"),
    "nasional": ("Tinjau", "Salurkan", "Kirim", "Imbau", "Resmikan", "Siagakan", "Perpanjang", "Evaluasi", "Bagikan", "Percepat"),
    "olahraga": ("Kalahkan", "Tahan Imbang", "Siapkan", "Panggil", "Rekrut", "Lolos ke", "Juarai", "Bidik", "Incar", "Tundukkan"),
    "megapolitan": ("Tambah", "Uji Coba", "Tertibkan", "Perluas", "Tutup", "Buka", "Pantau", "Normalisasi", "Batasi", "Razia"),
}
HEAD_OBJECTS: dict[str, tuple[str, ...]] = {
    "politik": ("Daftar Calon Tetap", "Jadwal Debat Capres", "RUU Pemilu", "Kampanye Akbar", "Hasil Survei Elektabilitas",
                "Aturan Dana Kampanye", "Sengketa Pencalonan", "Rekapitulasi Suara", "Pelanggaran Netralitas ASN", "Koalisi Baru"),
    "hukum": ("Saksi Kasus Tol", "Tersangka Korupsi Bansos", "Aset Terpidana", "Mantan Pejabat Kementan", "Dua Tersangka Suap",
              "Kasus Impor Gula", "Bandar Narkoba", "Berkas Perkara Pencucian Uang", "Kantor Dinas PUPR", "Gugatan Batas Usia"),
    "ekonomi": ("Kerja Sama Baterai Litium", "Suku Bunga Acuan", "Ekspor Nikel", "Harga Beras", "Investasi Smelter",
                "Kredit UMKM", "Produksi Migas", "Inflasi Desember", "Neraca Perdagangan", "Cadangan Devisa"),
    "nasional": ("Korban Banjir Bandang", "Bantuan Pangan Beras", "Status Siaga Gempa", "Vaksinasi Polio", "Posko Mudik Natal",
                 "Jembatan Gantung", "Bibit Siklon Tropis", "Program Makan Siang", "Kurikulum Merdeka", "Penerbangan Haji"),
    "olahraga": ("Vietnam", "Skuad Piala Asia", "Pemain Naturalisasi", "Final Liga 1", "Kejuaraan Dunia",
                 "Medali Emas SEA Games", "Pelatih Asal Korea", "Tiket Olimpiade", "Laga Uji Coba", "Gelar Juara"),
    "megapolitan": ("Armada Bus Listrik", "Ganjil Genap", "Parkir Liar", "Jalur Sepeda", "Pompa Air Kali Ciliwung",
                    "Rute Baru LRT", "Kualitas Udara", "Pedagang Kaki Lima", "Kendaraan Berat", "Tempat Hiburan Malam"),
}
HEAD_SUFFIXES: tuple[str, ...] = (
    "", "", "", "", "", "Jelang Natal", "Pekan Depan", "Hari Ini", "Tahun Depan", "Akhir Tahun",
    "di Jakarta", "Mulai Januari", "Secara Bertahap", "Usai Rapat Terbatas", "Pasca-Putusan MK", "Lagi",
    "di Tengah Sorotan Publik", "Sampai Akhir Bulan", "& Beri Peringatan", "Tanpa Syarat",
)

#: Topic tags per section (display text; the URL slug is derived).
TAGS: dict[str, tuple[str, ...]] = {
    "politik": ("Pemilu 2024", "KPU", "Bawaslu", "DPR", "Capres", "Partai Politik", "Debat Capres", "Koalisi"),
    "hukum": ("KPK", "Korupsi", "Kejagung", "Polri", "Mahkamah Konstitusi", "Suap", "Narkoba", "Pengadilan Tipikor"),
    "ekonomi": ("Bank Indonesia", "Inflasi", "baterai litium", "China", "Kemenperin", "Nikel", "Harga Beras", "UMKM"),
    "nasional": ("Bencana", "BNPB", "BMKG", "Kemenkes", "Bansos", "Jokowi", "Pendidikan", "Natal dan Tahun Baru"),
    "olahraga": ("Timnas Indonesia", "PSSI", "Liga 1", "Bulu Tangkis", "Piala Asia", "Persija", "SEA Games", "Sepak Bola"),
    "megapolitan": ("Jakarta", "Transjakarta", "Banjir Jakarta", "Polda Metro Jaya", "Macet", "Polusi Udara", "Pemprov DKI", "MRT"),
}

#: Noun phrases used inside body sentences, per section.
TOPICS: dict[str, tuple[str, ...]] = {
    "politik": ("tahapan pemilu", "daftar pemilih tetap", "penetapan calon legislatif", "debat kandidat", "aturan kampanye",
                "logistik pemilu", "netralitas aparatur sipil negara", "sengketa hasil verifikasi"),
    "hukum": ("perkara dugaan korupsi", "pemeriksaan saksi", "penyitaan aset", "berkas dakwaan", "proses praperadilan",
              "aliran dana mencurigakan", "penahanan tersangka", "sidang tuntutan"),
    "ekonomi": ("hilirisasi industri", "pertumbuhan ekonomi", "kinerja ekspor", "stabilitas harga pangan", "investasi asing langsung",
                "penyaluran kredit", "industri nonmigas", "nilai tukar rupiah"),
    "nasional": ("penanganan bencana", "distribusi bantuan", "layanan kesehatan", "kesiapsiagaan daerah", "program perlindungan sosial",
                 "pembangunan infrastruktur desa", "mutu pendidikan", "arus mudik"),
    "olahraga": ("persiapan tim", "kondisi fisik pemain", "jadwal pertandingan", "program latihan", "regenerasi atlet",
                 "target medali", "kompetisi domestik", "pemusatan latihan"),
    "megapolitan": ("pengendalian banjir", "penataan transportasi umum", "kualitas udara", "penertiban trotoar", "kemacetan lalu lintas",
                    "pelayanan warga", "pengelolaan sampah", "keamanan lingkungan"),
}
PLACES: tuple[str, ...] = (
    "Jakarta", "Gedung DPR", "Istana Kepresidenan", "Gedung Merah Putih KPK", "Balai Kota DKI", "Kompleks Senayan",
    "Bandung", "Surabaya", "kantor kementerian", "Stadion Gelora Bung Karno", "Medan", "Makassar",
)
PERIODS: tuple[str, ...] = (
    "triwulan III/2023", "semester pertama tahun ini", "periode Januari hingga Oktober", "tahun lalu", "bulan November",
    "pekan lalu", "akhir 2023", "awal tahun depan",
)
VERBS_PAST: tuple[str, ...] = (
    "menegaskan", "menyampaikan", "mengungkapkan", "menjelaskan", "menilai", "memastikan", "mengatakan", "menambahkan",
)
OPENERS: tuple[str, ...] = (
    "Selain itu", "Di sisi lain", "Sementara itu", "Lebih lanjut", "Adapun", "Dalam kesempatan tersebut",
    "Sebelumnya", "Menurutnya", "Oleh karena itu", "Sebagaimana diketahui",
)
CLAUSES: tuple[str, ...] = (
    "pemerintah akan terus memantau perkembangan di lapangan",
    "koordinasi lintas lembaga menjadi kunci keberhasilan program ini",
    "masyarakat diminta tidak mudah percaya pada informasi yang belum terverifikasi",
    "evaluasi menyeluruh akan dilakukan sebelum akhir tahun",
    "anggaran yang disiapkan dinilai cukup untuk kebutuhan tahap awal",
    "pihaknya membuka ruang dialog dengan semua pemangku kepentingan",
    "langkah tersebut diambil setelah mempertimbangkan masukan dari berbagai pihak",
    "hasil kajian akan diumumkan secara terbuka kepada publik",
    "target yang ditetapkan masih realistis untuk dicapai",
    "pengawasan akan diperketat agar tidak terjadi penyimpangan",
    "jumlah peserta meningkat dibandingkan periode yang sama tahun sebelumnya",
    "kebijakan itu diharapkan memberi kepastian bagi pelaku usaha",
    "tim gabungan telah diterjunkan sejak pagi hari",
    "data terbaru menunjukkan tren yang cukup menggembirakan",
    "proses tersebut ditargetkan rampung dalam dua pekan ke depan",
    "semua pihak diminta menahan diri dan menghormati proses yang berjalan",
)
QUOTES: tuple[str, ...] = (
    "Kami berkomitmen untuk menuntaskan pekerjaan ini secepat mungkin",
    "Tidak ada toleransi bagi siapa pun yang melanggar aturan",
    "Kolaborasi adalah kunci untuk menghadapi tantangan besar ke depan",
    "Kami akan membuka semua data agar publik bisa ikut mengawasi",
    "Kondisi saat ini masih terkendali, tetapi kewaspadaan tetap perlu ditingkatkan",
    "Hasilnya akan kami sampaikan setelah seluruh proses selesai",
    "Ini bukan pekerjaan satu lembaga saja, semua harus terlibat",
    "Kami optimistis target tahun ini dapat tercapai",
    "Masukan dari masyarakat sangat berharga bagi kami",
    "Persiapan sudah hampir rampung, tinggal tahap akhir",
)
UPDATE_LEADS: tuple[str, ...] = (
    "Pembaruan: hingga berita ini diperbarui",
    "Perkembangan terbaru menunjukkan",
    "Dalam keterangan tambahan",
    "Informasi terkini yang dihimpun redaksi menyebutkan",
)
COMMENT_NAMES: tuple[str, ...] = ("Budi S.", "Sari", "Ahmad", "Rina W.", "Joko", "Mega", "Tono P.", "Lia")
COMMENTS: tuple[str, ...] = (
    "Semoga membawa manfaat bagi rakyat.",
    "Jangan sampai hanya wacana saja.",
    "Kita tunggu hasil nyatanya.",
    "Mantap, lanjutkan!",
    "Perlu pengawasan yang ketat.",
    "Beritanya sangat informatif, terima kasih.",
)
TWEET_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("Humas Kementerian", "humas_kementerian"), ("Info Lalu Lintas", "infolalin_id"),
    ("Pusat Informasi Bencana", "pusdatin_bencana"), ("Liga Indonesia", "ligaindonesia_id"),
)
