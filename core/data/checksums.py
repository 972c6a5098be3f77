"""Sizes, sha256 and git blob ids of every known source file, per mirror folder.

Transcribed from the PROVENANCE.md of each folder of the shared dataset mirror (layout of $ADVREC_DATA).
An entry (size, sha256, git_blob) may have None fields: files the mirror lacks are known only by the git
blob id recorded upstream, which still verifies a later download.
"""

from __future__ import annotations

FileRecord = tuple[int | None, str | None, str | None]

CHECKSUMS: dict[str, dict[str, FileRecord]] = {
    "CiaoDVD": {
        "movie-ratings.txt": (
            2307417,
            "f29bbacaab826da85445757e2b0c45c293864dc9efc9d3cd27e604ba09a7cf6e",
            "051ddfee048226db6e190f6bb0b0dd380fa693ce",
        ),
        "readme.txt": (
            4491,
            "1fec472d6afe8df36338a2c3e8e0a076f1c5ac96b3ec7e9b82d8fb137b69801d",
            "ca4c7e489014125d687d1885173f1d80002a0940",
        ),
        "trusts.txt": (
            506267,
            "ac2fca9a0355eb9c7ca8d922a30363fb02824a116003590e0d893e01714765b7",
            "b042d29d2294e2745d2f32ffec3532a1f71542ff",
        ),
        "review-ratings.txt": (
            None,
            None,
            "1dce110549d9de5780682056c07b4edfc2e90121",
        ),
    },
    "aush-shillingattack": {
        "data/AppAndroid/AppAndroid_selected_items": (
            27192,
            "b2c096921630767970da84c2ed284ca87bc6ffdc108c731930f5c52e4cc65d57",
            "3835d6c84e3daf2e4b75c8b25655ca5dbe60a274",
        ),
        "data/AppAndroid/AppAndroid_target_item": (
            13596,
            "acd5d11804e0c8be3629f1c478eb483d71ccf02ec8b7b1b7d8e188318cc7a0ce",
            "4ec3160028f176c31b13fb10a975819c80f71735",
        ),
        "data/AppAndroid/AppAndroid_test.dat": (
            260690,
            "4eeb518a2010893c00a9f1f6233d160f22fe71cffa765f5835f2fe95c306ae6a",
            "60e5d05544f605c694b431e904eca725650df162",
        ),
        "data/AppAndroid/AppAndroid_train.dat": (
            2024829,
            "8310999645c63cd957762bc32270e2104f3c83a206d7f049df155a739d5883ba",
            "1cbf19f8111ed96ed7bc8a1000fd9391b820eeb3",
        ),
        "data/GroceryFood/GroceryFood_selected_items": (
            17087,
            "2f0536f75c366ae61ff3b6ad52cb266f3a5d870402c47618e704b318632a2a04",
            "09df749bd02ce838d284438a60c7f6fc98462cda",
        ),
        "data/GroceryFood/GroceryFood_target_item": (
            8601,
            "a8337c00e994b157a0561ae79de027d29baecb1cc19dec712232afbc7a5c1297",
            "e7525fe6ae0844c4c72d8cb98ffd4e9fac892db6",
        ),
        "data/GroceryFood/GroceryFood_test.dat": (
            83328,
            "6452f6027d37b3474240f28a5b90ae4b658e7008624d8370e684ca7896dc774b",
            "a591baa655df0d784ea33f5b518022855ee71a15",
        ),
        "data/GroceryFood/GroceryFood_train.dat": (
            654360,
            "3fca91e1f9031f898e4f3845e820151982b2ac8723cda4ae33af61193eb50557",
            "811fcd55b11d53bbb5121ed857572d8fe920e76a",
        ),
        "data/ToolHome/ToolHome_selected_items": (
            20077,
            "71538e75d1013dcff8bf83deaef338f7d3ddfdc52ad6fde67dbbb31135273800",
            "2005b493e5b49af6ac2766da98d9fad4bfcaa7e6",
        ),
        "data/ToolHome/ToolHome_target_item": (
            10012,
            "fd7b83317139bbba3b05fd2d01331e4605aa3061e71cef1b2c0c6abee241691d",
            "7ae3b6963917a90dc8f062cb520513ff8c016c0b",
        ),
        "data/ToolHome/ToolHome_test.dat": (
            34683,
            "b41c504483e6f2a35730cc14d952dc68560367ed7a4e171899e82efd8c32a3f6",
            "53089e9e3a7cc4433da8e69c5b3b9defdeb399c7",
        ),
        "data/ToolHome/ToolHome_train.dat": (
            266112,
            "c21404c89916f0d43bfc6021666313fed325ae340b2f9ec1851564af3334f488",
            "2f79330d82b14dbea96543df1363d859f3114feb",
        ),
        "data/automotive/automotive_selected_items": (
            130,
            "c5a7251f242c8d1ef218dd33da291ca52c2b96f43a23e29849ede24ba92d162c",
            "4c134abce519ee82e4479698a7138310a63897dd",
        ),
        "data/automotive/automotive_target_users": (
            5885,
            "0d066e8fd643cd8d1eaeccf2cfd7265f6e98dae61ee1a6c2885de6b2ecf77ad8",
            "3b71bc513b108dd56e9baec83dabc43a9236364b",
        ),
        "data/automotive/automotive_test.dat": (
            26481,
            "36b47dff2edcb0b511fdd61b5f52d7db75caf3bccf191051c7ebe19e7198f51a",
            "a5818eb6a5199d91411717a04d2efe63b2a6b0bf",
        ),
        "data/automotive/automotive_train.dat": (
            238603,
            "c1499557549298d442d2b0e34795be15a99543991b1fb2f58582bb951c345b36",
            "b330c0864c66b46a3467565177439e33b1fb0fff",
        ),
        "data/filmTrust/filmTrust_selected_items": (
            572,
            "8fb9b50ed4965a6846b89333a5c3f3a2512e7332dfaf22b8da104ce78d29e08d",
            "5a93c1164fab558de1ad66ffdfe82f22410bc9b2",
        ),
        "data/filmTrust/filmTrust_target_users": (
            27377,
            "7bc18256f1f6d233a7b125f5d4892884d5eebcbc2820fd54f8ce62b0295e8be2",
            "4a80d361395324a92d6161d8022f2fc32c01e221",
        ),
        "data/filmTrust/filmTrust_test.dat": (
            32849,
            "52ec3110614a6cc88d29747f811e32a17f455a57bdcaf444b37aa33d8019a16e",
            "ee0b19023fde1a52bc02dd983a45fa92fd725f8d",
        ),
        "data/filmTrust/filmTrust_train.dat": (
            295567,
            "54f36072df1ccf7982e2a903d79a06ae71632c5abbfa357311d35a70711ebb02",
            "87edd62d2cd5f39bc75f1e35f65abea5f87d1209",
        ),
        "data/ml100k/ml100k_selected_items": (
            166,
            "befdd7a063c6c04f69ee4da159f37735146ffbce5ce248ef12a2bd5e161262f6",
            "19acab86ed96b5689356c04d089a7f5675dfed45",
        ),
        "data/ml100k/ml100k_target_users": (
            4373,
            "00535f3a13902b68d0738bd0c8b5d46ac74fe787ed415102e8761dfe7bf5803a",
            "52e33faf0379d9e6e2aacad0a4b22410204afdc3",
        ),
        "data/ml100k/ml100k_test.dat": (
            111140,
            "bf13fb95bda2df1c1c44f7ad3959469dcde6ef60326cb9300504a576d0150115",
            "94aafc5b0d01335cd67513a8d268cdc8e87b896e",
        ),
        "data/ml100k/ml100k_train.dat": (
            1067183,
            "215f1b453dcf053e10fb51214e6de4b3d8005f07a3d7451adfb075ae44293a93",
            "d7e9f4f064722b6eb7bc03e4f33ab4973188b0cc",
        ),
        "data/yelp/yelp_selected_items": (
            23236,
            "ecdaf05cf951c4f2df38f366bc99324e8a104feac289ae753a5e4a3575d3ce8b",
            "e73894982caef21bfa2567a52372dad38b28ba7a",
        ),
        "data/yelp/yelp_target_item": (
            11587,
            "6fd12cd838398eb88829c4e80b5880d6aac5d451421c332eb4f2d1322cddc5f5",
            "4c6bbab50c103e69f299bf0c88e3ac2a8713d05a",
        ),
        "data/yelp/yelp_test.dat": (
            179074,
            "b3467eeae3b3a9cdc8481e1fd30fb27bad5ff25aa66523e41943d499c75fd81f",
            "9fe23fb670f70d0ef3dc8af19bc4f71c9fbcc04a",
        ),
        "data/yelp/yelp_train.dat": (
            1448311,
            "db157f97ec89945a814b269f9be0607e46cd82e572252f3d94e96e008504cb3c",
            "f79a324e22b9a523eeb9aa136fb6bf68b5d9cdc1",
        ),
    },
    "cfgan-splits": {
        "Ciao/Ciao.train": (
            170642,
            "cae074efabbdecda62f7d85670f6c1f9e72ef02899077b0951d3846f2550b628",
            None,
        ),
        "Ciao/Ciao.test": (
            42761,
            "85ae70656de7b9267bc573d986f2f6ea96637933f3c7f75add04bb02fd75837a",
            None,
        ),
        "ML100K/ML100K.train": (
            1014003,
            "3dcc6c5219de56ad819152860d31c9bfde0103288cb51923242d8b768726183f",
            None,
        ),
        "ML100K/ML100K.test": (
            253227,
            "4ad38c30a6f584571028c1e18815b9892febe254874872960629728d1cb293a4",
            None,
        ),
    },
    "cofigan-data": {
        "dataset/ML100K-copy1-train": (
            206806,
            "ea6ee66216d7b93f417a1aa4a13944a208ddc516477924b8f606c3e7a34181b2",
            "010468f6840579a98e272c3da62ef30d7be10273",
        ),
        "dataset/ML100K-copy1-test": (
            214251,
            "43252626a7beb475b6b443f05b5cb49ab58f0f0aa5b7e42dc161d374bce34959",
            "75f0841034d98fdd58153821bec4ccc480d84939",
        ),
        "pre-train/copy1/ml100k/G_pre_model-20.model": (
            669095,
            "6b0ea274d7432cf7d2f816394d570419a57b34fbfd06e24b5b68a1b54c5b62de",
            "de1129eee34aec6416ff9a4bd0b9e77cb3fc3787",
        ),
        "pre-train/copy1/ml100k/D_pre_model-20.model": (
            644337,
            "1a633bdda21fc4658f6ac4bc767a4644978e54e85697477bc79fba9c3e7b00aa",
            "210095f5c8beb656708abbc32fb2af4ddbbdb40c",
        ),
    },
    "dpr-data": {
        "Amazon-2/all.tsv": (
            783625,
            "a40403eaa7ebbeeeb7462ca7561823f5fb029f6976a4c6c5db634a9e2dc5678e",
            "67779da0d89108d00bd77e9b4145dfe4cfbee516",
        ),
        "Amazon-2/groups.json": (
            179,
            "b1df3b9212eb0cf9a2eac47fb23ad5ff88e0827e048ce6c817adae3e4deb396a",
            "83a7916d55610e201ee39cd449d3b65a1d494768",
        ),
        "Amazon-2/items.tsv": (
            69959,
            "b8cf99a072a5d75959763025957db22b89835f28d584b07471dfad1d83d75882",
            "6aabdd4599fdf132df97c31a5e63d7f8c550df16",
        ),
        "Amazon-2/test.tsv": (
            74268,
            "6edc280597aaf44c2e6d18c7bafd38463497fb74fa7b84e696fba81f5178c3ad",
            "fe02614eb71ebe423b6b435225712470c31e7219",
        ),
        "Amazon-2/train.tsv": (
            559509,
            "77db1e23b2060e58443db366aa87b74f6e6d33133e052a3ce0548f65f834b05f",
            "0de58b81c337d8c1f1cbf2d396f0e79de326ddd8",
        ),
        "Amazon-2/user_genre_count.tsv": (
            57635,
            "c8053098218814a836b9333bc2dbb871f2c71bf7f1284c86e6e64803a6bfb4a1",
            "3a5056533a92f204983dd0a3f47adc9d74e8fbc5",
        ),
        "Amazon-2/users.tsv": (
            76189,
            "c2310316af3ee45968f69b7352c04f9e314e9d34da9c67a0ce152e6e0e3b96e1",
            "0ba3b50b1c0cec5419e93e09d12e9923801778fe",
        ),
        "Amazon-2/validation.tsv": (
            74430,
            "e0286e200dcf885d19d1794432ae97b029e8d308fd00da0362e10a5987a861f0",
            "5519c28ccd8e435c0ed94c73d2bfa469a7c3a5ec",
        ),
        "Amazon-4/all.tsv": (
            1083122,
            "689b8d9521a0a25f262a0af647ec602b8afa1556c803a448318de5d26f6a1801",
            "d9f8b3849bb619c429f0c8fbedf4709a5b202148",
        ),
        "Amazon-4/groups.json": (
            279,
            "0d79e4b732a0c78ebfd792909d853146f3f7ef378a6a7c951b8e4c356330084e",
            "80ea492cece18408f7bc735638c042330836f99c",
        ),
        "Amazon-4/items.tsv": (
            77843,
            "b22653c654719b124f413548c470c4f226d7ee1e4c2159fcd919f7d98ebfd895",
            "0dbd23cf911f605f497baeb844796aa14e35ce49",
        ),
        "Amazon-4/test.tsv": (
            104985,
            "8f01fcdf724611a5b82b9f180d8a517c2320180a9b855010cb1f27399ac4496b",
            "4b326404a306c7139be112ec3d979ea1b59bd022",
        ),
        "Amazon-4/train.tsv": (
            768756,
            "60e10b6f23ec8d1805c61b6ab9751ebe8490bc4f6b1ef84b75567da57f15481d",
            "eb1290428672a353a49e1d480fd3d98d762dc1f1",
        ),
        "Amazon-4/user_genre_count.tsv": (
            83153,
            "214542346b5820c86d04706a5cec93d83330480e300be963385d332bbddcf7e4",
            "4cfe31d72af989edb1a5d90a01b6705111a55e40",
        ),
        "Amazon-4/users.tsv": (
            78078,
            "2f69b3c6f9715eab1f8a00062306690c80308e9952c5644c22175800b305ae81",
            "ac5392b6394da9ade7e7f2653301934bb938fa07",
        ),
        "Amazon-4/validation.tsv": (
            104847,
            "85801bfed67c218303711bbb28312db44c6a962b6d4fa79f18326aa36868cf06",
            "0b865a97b575dce6b59a8f8df45d2f150563d984",
        ),
        "Yelp-2/all.tsv": (
            1078280,
            "b0aaba2bbaeb56081db5d13149a47d3950b1acc8359bc1d24233b0ce79b44c05",
            "99c81533ffe4f0e6a0d886851a417dff311150a6",
        ),
        "Yelp-2/groups.json": (
            212,
            "79d8e84b1a43e38ca4012b0e82b3c2c10b18fc54aa54e308d9c629d1fa7a9ad8",
            "2318c6ac8512ccd3f87dee1fb48cc90426089dd5",
        ),
        "Yelp-2/items.tsv": (
            275164,
            "ff8530d10805a842758af9a0cf6b2b8c49feae45aaea064f6a8bf81b6eece78a",
            "489ece5eabb3e41e493f6a4466c22e8a8728fc78",
        ),
        "Yelp-2/test.tsv": (
            102484,
            "aa8e5738557d887c87f748ba34f710d83e86cb67a3f0752a7270589d9cb7472a",
            "42b4f87b18619ed2603aed387af8ec4f2debba52",
        ),
        "Yelp-2/train.tsv": (
            770639,
            "328636312e6ae1c5acaa016fc4fbffa52e8f5c4207ae0ad2e2b857a2b413d385",
            "0f411465fe0eb9395149860a2081d98195b8fba6",
        ),
        "Yelp-2/user_genre_count.tsv": (
            93568,
            "ec6c46fc5be9a9da6b07ce8d2dd488579f025d83001e918e5ceb1e172db5380f",
            "c6393b8fc1975707c64c163e8de9e2f01fd7faad",
        ),
        "Yelp-2/users.tsv": (
            175585,
            "992c42eb4f1a2ea1979ddf41972fefd92c823d218ab27006bdd0cb0454c5db6d",
            "9637a24bd722fe4685cd0baf43ab973b2a34698e",
        ),
        "Yelp-2/validation.tsv": (
            102411,
            "23b2972a6beb3c32f83bfb3b48cc472236c3f06d135bd35cc42f56c715f60e9e",
            "102ace9e693976b166195e7db0fb62b9514ae18c",
        ),
        "Yelp-4/all.tsv": (
            1992465,
            "8a528bcc75e9b9574e239db6e319ca41b0c826b9d77cbc105d820ea89797ff8f",
            "e7a6bd08b391d56e43d85d206262508d75b2d747",
        ),
        "Yelp-4/groups.json": (
            329,
            "7b463e573cca10d39a1e8eef6d43a970f5dbf8284a6f370a2cc1a4da2f39e97e",
            "7dfd36d0a4b13e733cd6cfe58be9022f2755bb34",
        ),
        "Yelp-4/items.tsv": (
            395408,
            "1fa83a4c779cbb347afeae99fd2df04e8a3eda36cb391d839ec7b96c7bdf216e",
            "dc8d6fa3da27d7223a6d12f94fc0577218c1b282",
        ),
        "Yelp-4/test.tsv": (
            191407,
            "a011fa3b90372184bf60ac400a6f486a822aba5fdf2ad827ea455972c796f1a0",
            "3e6e06d5bda0e2e850588d35c43a1e7b426f291d",
        ),
        "Yelp-4/train.tsv": (
            1417334,
            "3892079bb4c3a15cc2f72deab340d4596c6a7c79b2b603eadbc47e81bf0bbd7c",
            "7a845768b6e20ee375df628a8dbc15b8fa1ea044",
        ),
        "Yelp-4/user_genre_count.tsv": (
            188984,
            "2fd2cf4885ab3292a594d5875d239523d9231d3f3714f04898cff6e5925d4e58",
            "a26674db9f9aca51c855b7600c3a51029061bf4b",
        ),
        "Yelp-4/users.tsv": (
            230269,
            "a55a7e1cee74ba237958e7da03cf86e39373637613019c284d18c9fca2ae953a",
            "8c4afdd4e4d9f0ab02db3fdb32031f1b86bd87df",
        ),
        "Yelp-4/validation.tsv": (
            191206,
            "9df8932b5e1b0017a7d15c6fc61d13255ae0956cc68cffff3fb7047f73c2c796",
            "ec03bf658fac040ffe73cd153adb90132f6966cd",
        ),
        "ml1m-2/all.tsv": (
            1769173,
            "bac81ab7a37be35f1810489f791e061c867020784f63c12fe6bac51b9f42e6c7",
            "88962cdd84dfbf5be94e6758231eab16ff7d1c2d",
        ),
        "ml1m-2/groups.json": (
            184,
            "7cfe002a72e2c3b0c26eb11eac2a19e4ee92314b24ee3cce617a65571f33dea3",
            "9806bc25495195a036301ad4cf2c8f7d5ee87f94",
        ),
        "ml1m-2/items.tsv": (
            17118,
            "9104d9367c40f24df731c5d252797e010904af1b8b5ce33b3c94b2708166c0c1",
            "1b8ef26012aca8c795096ce1689def5f64e0eb90",
        ),
        "ml1m-2/test.tsv": (
            172483,
            "ec8a3b4b58a12b925cb0b2e0b0bf65ba603f22b686f98350bd02debb2af331e0",
            "6a34815dfb8ac0fd2fe153797a5d12e47c045da8",
        ),
        "ml1m-2/train.tsv": (
            1251632,
            "3c57fce9f78f2fc0836a165c72f8a26e8a996d717fafd197c18d733dd1df7a38",
            "b971df7481d9428252bcc4b589af2e676839c77e",
        ),
        "ml1m-2/user_genre_count.tsv": (
            71218,
            "300c04116f812505bbdd8deeaf31f1a730e8e819303db7f83875fea76f09c2c3",
            "96f1f41f56a72d87bcfee51d4343c20529a2f8e9",
        ),
        "ml1m-2/users.tsv": (
            53515,
            "20ab2e9d0f3d9ba850fefeca7422cf9d507d8cca72bc77fc1c35f3c64158125c",
            "af722f53f4f55f864899712ddbfd75f876ee55ba",
        ),
        "ml1m-2/validation.tsv": (
            172569,
            "b249f3d14ef6dcf195a15857a82dd211b9d94cf99c080ca5c3e717ba2aa0e40a",
            "af1866160fe1d4199ad1e58cfa91e68d85007d34",
        ),
        "ml1m-6/groups.json": (
            423,
            "443b86f65c501d72099deae2b8e846ee7f9c33d44f6c8f0e1ff13539f29e02ce",
            "9b08546a6c12ed09597e7bef150d8728b225ad7d",
        ),
        "ml1m-6/items.tsv": (
            53376,
            "6d31c6516ea836a505aa6285882f0caa66443bcd6d3eb4308195ea810d0073f5",
            "8f0792487e7d049422b120a5456515b723c15628",
        ),
        "ml1m-6/test.tsv": (
            451052,
            "2b02d485ab26a075d1487fd8e0c7b21ff75bb083423d30a563ab3eae27a0b261",
            "a647f8935f2cbb53d297ee170db724e10907ecff",
        ),
        "ml1m-6/user_genre_count.tsv": (
            173990,
            "783c5e7842a0f49d248ec20a259fbd373f8b118b428795b884b4b6ae529417cd",
            "8c90b03bd68288372286d537d45977f8b0d2aa1c",
        ),
        "ml1m-6/users.tsv": (
            58158,
            "a099cc791d3068f99e6272ac4e05467d867332fdf1077fa5ff1e7f140164c498",
            "57dae13228f196ffab48fac87abb77f931fa7521",
        ),
        "ml1m-6/train.tsv": (
            None,
            None,
            None,
        ),
        "ml1m-6/validation.tsv": (
            451015,
            "bbc031a675c11fb2517394194fa2950d5fe70e28a1d0c961692205ffc9048552",
            "a2d1ea1c6d6ee2c672eca547a0abb763bf98fe1e",
        ),
    },
    "filmtrust": {
        "ratings.txt": (
            376445,
            "241167424e24d588e8871d68641e94ead98d5b3a4f0db01ef3181a74ad35e7a1",
            "364b2d78af3e093c47a1d50a862cf650e38396a4",
        ),
        "readme.txt": (
            525,
            "963c35074a9f9f0d9ea3a8c78fa2c70f8be0113419907eddddcca0f0860e1556",
            "954fd9dd4230e37d37c5aecf12add0ed4e7cb122",
        ),
        "trust.txt": (
            19611,
            "64573a033add72b988a0fb140fdbc0ad3464cb9821f940007aff6fda44b09603",
            "453890b13a6f576e942e2e371245f425b33871df",
        ),
    },
    "gan-vae-cf-data": {
        "Dataset/Askubuntu_Sample/item2id.txt": (
            8153,
            "93064d552e6227bf38e4084715b5a53a7559857bfc36d3c042c7964ca8819985",
            "d103cfec9312abf2758d7ee050f348ad1254f1c5",
        ),
        "Dataset/Askubuntu_Sample/item_counts.csv": (
            2544307,
            "70de35e29914f3981343f58119136e52090ecdc69f611c8f5b26afad19ae98b7",
            "80075079072b2c590354dc997a1592778f365fc8",
        ),
        "Dataset/Askubuntu_Sample/item_list.txt": (
            13734,
            "adae47498df0c74f9b080db966af556e86f88ae2f6d23ec5c5a1d2a730523afb",
            "d428cf3398688f4ba86e8c1a99b6f052fcf876c6",
        ),
        "Dataset/Askubuntu_Sample/niche_items.txt": (
            3878,
            "01ac9f0313c62284691330e8f1e86ae52ffeb3ae544da85466bb30e07d691f43",
            "6cce3cfe1670fd8a06c770efa23e510be3aea9c4",
        ),
        "Dataset/Askubuntu_Sample/profile2id.txt": (
            112744,
            "2cecf6f915eb8a9c19f94dfd71fc75aa36a607add4948ce5e37427e838bd6fd7",
            "6287cd7ea187ba9be21faed8955207bef8dd0067",
        ),
        "Dataset/Askubuntu_Sample/test_te.csv": (
            671532,
            "b1b2f34a9a290f5024db73cfa4b005ee490053500c9104ea35d1aba3ad2acf7b",
            "7764a45ec8fbd37957579a350351de3a3088be13",
        ),
        "Dataset/Askubuntu_Sample/test_tr.csv": (
            1083081,
            "41afb5bf661ceb80ab0eb34dfbdd5d426ca66dac6f49a6413235ac74f9747312",
            "b98b1b978b0445bf19c175fbb43602f5f7bd9f9f",
        ),
        "Dataset/Askubuntu_Sample/train_GAN.csv": (
            1540156,
            "3ae17884d4557114099aa9e70ef474344420e853fff275701d019ba77dda38ba",
            "bb15fa48b08485fce049b3c7cd1b364af0d8191f",
        ),
        "Dataset/Askubuntu_Sample/train_GAN_niche.csv": (
            816168,
            "1268ad44b86c948dabfe9d36820fe1f0d6d36325b875e36fd7db2fcdd3519ab0",
            "b413977ff8316aaef422d5d016c723b47039003d",
        ),
        "Dataset/Askubuntu_Sample/train_GAN_popular.csv": (
            723996,
            "859c0a62ffcaac8eaadcf47dd1acce71c61430d6d01fbe853ddffb4b7fa80252",
            "6f8dec2525463744ad47ddca4c27fc2e833d9b08",
        ),
        "Dataset/Askubuntu_Sample/unique_item_id.txt": (
            4263,
            "c2f741955384774a385cb87046d44dd52f9cd068d3894611a555c591f96c0f7c",
            "b4ddd72c768cf3c80473d2d49da280ac9d7f4fe2",
        ),
        "Dataset/Askubuntu_Sample/validation_te.csv": (
            665926,
            "4b1cbeb4fed8895efab83b2db47c2a6974e921f5f20f02aa9c430929be47771c",
            "06fec01cf049d1c496ee307f2ae971b053ad8a7f",
        ),
        "Dataset/Askubuntu_Sample/validation_tr.csv": (
            1075504,
            "1141a2ad6f53ef6266fdccfe83320152eab11290d510deb58dd8e1ee85dbc198",
            "67eee5110933fb6f7be0a07aa28d8f39abeb40f2",
        ),
    },
    "graphgan-data": {
        "data/link_prediction/CA-GrQc_train.txt": (
            125021,
            "2e8b28f4df2696ef5c9e1223a0c861c60b4c6fdbc9681956292a48e4bf9efc22",
            "0a2126e9b8d6ae361c2257a02842fe9883446f85",
        ),
        "data/link_prediction/CA-GrQc_test.txt": (
            13916,
            "fa5b7b11f11bba177ee8793586d990427908ddc4f8b2a9c1e07d6fa854c8ba1f",
            "3af53f66a4009cf7573df9dc1f486d84e67b5cfb",
        ),
        "data/link_prediction/CA-GrQc_test_neg.txt": (
            13863,
            "e12ab68ea433dda5288b5b4b6410c856f5a9a164a804699396ba1af9206a7d9e",
            "7455945e629fb1b3a23b54c8fccf975016ddc0d4",
        ),
        "pre_train/link_prediction/CA-GrQc_pre_train.emb": (
            2456988,
            "ac93bc3c0f070228e9f73c30f57ee14a77df0933c5acdf5a960d7715468b5173",
            "28789a866265ce4251eeecfa258a2d5162392800",
        ),
    },
    "hetrec2011-lastfm-2k": {
        "artists.dat": (
            1925879,
            "c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648",
            "c33103eeaf8f7024748f5b370d6689d9e61ab1e0",
        ),
        "readme.txt": (
            4463,
            "44c38757b3a24e68e844ac60c97ba7fd8e0f691cf1b00e9cf6bd8854df0dd64a",
            "df7f0dd7bbe502acfe8365c3b40af302503167c4",
        ),
        "tags.dat": (
            234468,
            "e95175f259be4c0c47644ae23d66131cd6d5767142a1405000e79f5584691d70",
            "33dc23bcddbc42c0ab48be744152d356c63d66d6",
        ),
        "user_artists.dat": (
            1296455,
            "001400dc3c7d2667fca6e4ea6dc6acc31a9dd28ad5cd0f74cea988c019934d3b",
            "e01e8d142e3df2a58a89d33598616658dd136dc7",
        ),
        "user_friends.dat": (
            251565,
            "9a3a8f7fa5f5ec832335e5b58ed69a4cf27c6f6f6afcde62134810eea46445a7",
            "04ba5c18534fdde672268bd4113cdc8ebb2a87af",
        ),
        "user_taggedartists.dat": (
            4366696,
            "d31fe938fcfeed6f0059f37a36b156f63674d073fc2553e5cc9dc1595e365bc7",
            "767d371c20243df3deeae24ede577570e5e60566",
        ),
        "user_taggedartists-timestamps.dat": (
            None,
            None,
            "43d466f5dcc219707e4a508e961d4b63de89f8c5",
        ),
    },
    "irgan-data": {
        "item_recommendation/ml-100k/movielens-100k-train.txt": (
            785941,
            "81fdf6f0b282e60c43e93ab9ae3f0627d026bf382a61f90c59154a1126d3afde",
            "6771df60b3e6d0c626880e3d661ccfed54d0093c",
        ),
        "item_recommendation/ml-100k/movielens-100k-test.txt": (
            192382,
            "b5cc7d184c5b68f1dca4f1f53da3849acf4cd6ab65195b1d6bb59512cb402d17",
            "bdf3906463bba7571d59ef03ca2ea8d8a7054cd2",
        ),
        "item_recommendation/ml-100k/model_dns_ori.user_embeddings.tsv": (
            57981,
            "ebd8e939e582aa9c7167dbfe1c64d1002c48b78a47082d9a6e27575e9339e3c4",
            "8d4be237137d7d5550321f4e55cab09de05f0927",
        ),
        "item_recommendation/ml-100k/model_dns_ori.item_embeddings.tsv": (
            108708,
            "21718bc9dc221ae47a3e67f5cb45b73b6883e15bdedd9616ec8822cc5fcca787",
            "a96e1d75908ea2cfaf73cf02d6527e68824ccb32",
        ),
        "item_recommendation/ml-100k/model_dns_ori.item_bias.tsv": (
            27232,
            "36dfd1e9f662670430d81215ac61f3fbbae771fa40bea0bfaae6364c96c02422",
            "3739f676fdd9ec7e008c7ba1d834a5cf93f16797",
        ),
    },
    "ml-100k": {
        "README": (
            6750,
            "4883b8cf340ed0059971b33f56ad3adc88a40792108ebca3d24aafc4c82e8b52",
            "04ad704706f0290e503b863a00aebd4589e1e072",
        ),
        "allbut.pl": (
            716,
            "bfc6a75cbd65c74bb38a0b580dbe866af252733dfa9a65a2c4b93258774ee8a3",
            "db879663ebb149277188066685ee86a7778cc2fa",
        ),
        "mku.sh": (
            643,
            "7929735c375e89a04340e34de621bf2ea643cd04b0bcda2c6f458e4be961ae71",
            "6021117bcd52fcc7a0e187a35e714653147f3bbf",
        ),
        "u.data": (
            1979173,
            "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
            "16ef21ed827cae1a3f71e89e23cffb5a8f44baae",
        ),
        "u.genre": (
            202,
            "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb",
            "ae1e29c6c5224db09a8fddca9c4bd46523caff21",
        ),
        "u.info": (
            36,
            "5b0a40b2e47a729ee6203063f6dcf8790c2e63f5a18663e6ee318a72c5f3c27b",
            "f936f98efdd50d4e46f9ad03672ab1bfeb250d46",
        ),
        "u.item": (
            236344,
            "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
            "91bb56d53fcb5f8bbac079755593b48d34cfc9a7",
        ),
        "u.occupation": (
            193,
            "cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d",
            "6e4f9e0513d6e70e7632299f05954677c7a47531",
        ),
        "u.user": (
            22628,
            "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
            "53d296f961959ad3a9389a6bbd7e8251aeeb6e17",
        ),
        "u1.base": (
            1586544,
            "ce253ec86c448b44fb3ba9a30d12dcfc2e9210cbde71efada3730c22e9ac212a",
            "3261020899ada0351312e72aa1055ff9ab7110cc",
        ),
        "u1.test": (
            392629,
            "18c6014a4b2c7324f250a63f8904a7b16b2b19f911129e346141507b0cbac950",
            "04b2c03e39f412d87028e06360d4dc57b878c90f",
        ),
        "u2.base": (
            1583948,
            "6c06f0b5df4b256da1a994f3ac66edc8da4d3f09bc9282df6b14d893366d703e",
            "ab50c87b99d5bf264f85d81a71029ea21085b82d",
        ),
        "u2.test": (
            395225,
            "4de658d1e04ed9104629509a2e2528fce833ac8e048280183f1df167632038c3",
            "03527d724f43922fa57bef8af3f98e0709fe654f",
        ),
        "u3.base": (
            1582546,
            "afdc155c291c6edc41c0407e39d7462eb98d341e064f0b0a12175b80b3c4af5d",
            "c7f75cf98d21918fa082244538430eae3f0f94d2",
        ),
        "u3.test": (
            396627,
            "0f548b51c78327de4c156461d3e430b7e5579fe2b5681586a59416e48fd35f6d",
            "e7641e76553753955841760568fcb16de312ef9b",
        ),
        "u4.base": (
            1581878,
            "219f0f4d40dfe9c5141d425f53fa91ee23ed275f14e280bbf1b50117afb064ca",
            "94f7fc78c995548920ef74470f5a8085ffaf0dd1",
        ),
        "u4.test": (
            397295,
            "7c02ad0a1e7ab1083c8b9d4b627203a051dd7b5eab46d99fa44de33470de8db9",
            "a8109c4c865938c3c5253a8d5d0a74169920cdab",
        ),
        "u5.base": (
            1581776,
            "a9574e59ce961eec2121627760b6e9b0974ce1637b3fe69ac32cb14a4bfab485",
            "b098e9fddb8c641a47c5a461105e44cd755768dc",
        ),
        "u5.test": (
            397397,
            "351cc52e0d15b6c721466276fc24671d40936899e3d01fadeaf312915b8c5634",
            "827ca8046f1ed15ee1d5b8f13054f96b72554572",
        ),
        "ua.base": (
            1792501,
            "67b5bcdb380c29f85d56a012ecd88612ae020f30a6730d117a334ee8203b91f2",
            "f3f414560fee9d9ba7e456fe0ce3d01ca2b5fb0b",
        ),
        "ua.test": (
            186672,
            "d0497e202417720f57a184ec8c66be2d1afa4ff41bb53787c57b28d6bf79bc42",
            "1fc61f6c97d02eb642ec876e304a5880d2ba6575",
        ),
        "ub.base": (
            1792476,
            "237254d253b6ad7de84f919d041055428646254f34ed8f562703c899430cd881",
            "3fd9bc002637f29879f3c61a6c3a2a94312bda61",
        ),
        "ub.test": (
            186697,
            "d54a72d05730d5892062734b2bec73e976f9b713d18c828a18b968d6cce442da",
            "23bb03a735e26a423a7a66ec1e8086ad25b2e801",
        ),
    },
    "ml-1m": {
        "README": (
            5577,
            "2d5ddce86ccbd247207456165827b4b9ddf27282bca93807d4c763e28414f133",
            "3d0acab0029027ec47ef446ad12210f0d2c2a9f6",
        ),
        "movies.dat": (
            171308,
            "0140fc2356357c1a851d0f52e893a1e4d3696df632c4141cea8d5bc3d621f0b9",
            "9a735435722829dad68446ef1c30d001d5d00c1d",
        ),
        "users.dat": (
            134368,
            "1dc3a95300cb19f7c10e027daf29b8cdf1d908dab65b5edfb45950aa389a10a3",
            "2f86be06c70946984c0d5d56f9fcaa658eef139e",
        ),
        "ratings.dat": (
            None,
            None,
            "77a7c4b150f588c23bb9e1f068aa996c0b413695",
        ),
    },
    "ncf-apr": {
        "Data/ml-1m.test.negative": (
            2891424,
            "127853228a76b7d21c0481e8ef8d00dd009cd5c88670dbdd9e9debfdb9f93de4",
            "c82844fb99d021f94751a6f915a230a1e8b8da92",
        ),
        "Data/ml-1m.test.rating": (
            128039,
            "231ae11eb060b643a8c58c063cd17ffc743b54f569afb073d1abb6cf126b88b5",
            "1b79e03c96710c3b0c35deb19155ef74f7965a02",
        ),
        "Data/pinterest-20.test.rating": (
            807267,
            "3a8a8f7eb8e21cc5928b8259dd2c265269ecfa219d92ba829249956aa293d732",
            "87fdbd13bced61c51f2842e2a667e83b9b0084e3",
        ),
        "Data/yelp.test.rating": (
            660506,
            "0680223ab00b2fb5694ab5c45f349ed23ddb2f60ed83d7eb1727861cdd4ff5f8",
            "65eb8ca2f0ba7db79ee0da012b608eeab93d54b6",
        ),
        "Data/ml-1m.train.rating": (
            None,
            None,
            "31ba384fd58dac8fbd09d2dfc6616431f3563ab5",
        ),
        "Data/pinterest-20.train.rating": (
            None,
            None,
            "99813f8ed7486c36fa0f405e3f400db5d6fed0be",
        ),
        "Data/pinterest-20.test.negative": (
            None,
            None,
            "b752ccdc14df423b9484771440ff4a73e4a4a304",
        ),
        "Data/yelp.train.rating": (
            None,
            None,
            "b812277d9adc8391e0b4cdc6d8d5af551d554b0c",
        ),
        "Data/yelp.test.negative": (
            None,
            None,
            "ff9ad28482007790fb0eb21ffe22ed934f7eb22c",
        ),
    },
}
